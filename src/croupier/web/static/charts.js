/* Tiny SVG charts for the dashboard: a line chart and grouped bars. No dependencies.
   Styling comes from classes in croupier.css (the CSP forbids inline styles). */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";

  function el(name, attrs, parent) {
    var node = document.createElementNS(NS, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function text(parent, x, y, value, anchor) {
    var t = el("text", { x: x, y: y, "class": "tick-label", "text-anchor": anchor || "middle" }, parent);
    t.textContent = value;
    return t;
  }

  function tooltip(node, value) {
    var title = el("title", {}, node);
    title.textContent = value;
  }

  /* A "nice" upper bound and step for an axis reaching `max` with about `count` ticks. */
  function niceScale(max, count) {
    if (!(max > 0)) max = 1;
    var raw = max / count;
    var magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
    var step = [1, 2, 2.5, 5, 10].map(function (m) { return m * magnitude; })
      .find(function (s) { return s >= raw; });
    return { step: step, max: Math.ceil(max / step) * step };
  }

  function compact(n) {
    var a = Math.abs(n);
    if (a >= 1e9) return (n / 1e9).toFixed(a >= 1e10 ? 0 : 1) + "G";
    if (a >= 1e6) return (n / 1e6).toFixed(a >= 1e7 ? 0 : 1) + "M";
    if (a >= 1e3) return (n / 1e3).toFixed(a >= 1e4 ? 0 : 1) + "k";
    return String(Math.round(n * 100) / 100);
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(seconds) { var d = new Date(seconds * 1000); return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()); }
  function mmdd(seconds) { var d = new Date(seconds * 1000); return pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()); }

  function frame(container, width, height) {
    while (container.firstChild) container.removeChild(container.firstChild);
    return el("svg", { viewBox: "0 0 " + width + " " + height, role: "presentation", focusable: "false" }, container);
  }

  /* points: [{x: unix seconds, y: number}] evenly spaced in time. */
  function line(container, points, options) {
    options = options || {};
    var W = 1000, H = 220, L = 46, R = 12, T = 12, B = 28;
    var svg = frame(container, W, H);
    var ys = points.map(function (p) { return p.y; });
    var scale = niceScale(Math.max.apply(null, ys.concat([1])), 4);
    var n = Math.max(points.length - 1, 1);
    var x = function (i) { return L + (W - L - R) * i / n; };
    var y = function (v) { return T + (H - T - B) * (1 - v / scale.max); };
    for (var v = 0; v <= scale.max + 1e-9; v += scale.step) {
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": v === 0 ? "axis" : "grid-line" }, svg);
      text(svg, L - 6, y(v) + 4, compact(v), "end");
    }
    points.forEach(function (p, i) {
      var fromEnd = points.length - 1 - i;
      if (fromEnd % 15 === 0) text(svg, x(i), H - 8, hhmm(p.x), fromEnd === 0 ? "end" : (i === 0 ? "start" : "middle"));
    });
    if (points.length) {
      var d = points.map(function (p, i) { return (i ? "L" : "M") + x(i).toFixed(1) + " " + y(p.y).toFixed(1); }).join(" ");
      el("path", { d: d + " L" + x(points.length - 1).toFixed(1) + " " + y(0) + " L" + x(0) + " " + y(0) + " Z", "class": "series-area" }, svg);
      el("path", { d: d, "class": "series-line" }, svg);
      points.forEach(function (p, i) {
        var hit = el("rect", { x: x(i) - (W - L - R) / n / 2, y: T, width: (W - L - R) / n, height: H - T - B, fill: "transparent" }, svg);
        tooltip(hit, hhmm(p.x) + "Z: " + p.y + " " + (options.unit || ""));
      });
    }
    return svg;
  }

  /* days: [{x: unix seconds, a: number, b: number}] drawn as pairs of bars (a = deposits, b = GGR). */
  function bars(container, days, options) {
    options = options || {};
    var W = 480, H = 200, L = 52, R = 10, T = 10, B = 26;
    var svg = frame(container, W, H);
    var values = [];
    days.forEach(function (d) { values.push(d.a, d.b); });
    var top = niceScale(Math.max.apply(null, values.concat([1])), 4);
    var lowest = Math.min.apply(null, values.concat([0]));
    var bottom = lowest < 0 ? Math.ceil(-lowest / top.step) * top.step : 0;
    var span = top.max + bottom;
    var y = function (v) { return T + (H - T - B) * (top.max - v) / span; };
    for (var v = -bottom; v <= top.max + 1e-9; v += top.step) {
      el("line", { x1: L, x2: W - R, y1: y(v), y2: y(v), "class": Math.abs(v) < 1e-9 ? "axis" : "grid-line" }, svg);
      text(svg, L - 6, y(v) + 4, compact(v), "end");
    }
    if (bottom) el("line", { x1: L, x2: W - R, y1: y(0), y2: y(0), "class": "axis" }, svg);
    var slot = (W - L - R) / Math.max(days.length, 1);
    var bw = Math.max(2, Math.min(18, slot * 0.36));
    var every = Math.ceil(days.length / 8);
    days.forEach(function (d, i) {
      var cx = L + slot * (i + 0.5);
      [[d.a, "bar-deposits", options.labelA || "deposits", -bw], [d.b, "bar-ggr" + (d.b < 0 ? " negative" : ""), options.labelB || "GGR", 0]]
        .forEach(function (s) {
          var y0 = y(Math.max(s[0], 0)), y1 = y(Math.min(s[0], 0));
          var r = el("rect", { x: cx + s[3], y: y0, width: bw, height: Math.max(y1 - y0, s[0] ? 1 : 0), "class": s[1] }, svg);
          tooltip(r, mmdd(d.x) + " " + s[2] + ": " + s[0].toFixed(2) + " " + (options.unit || ""));
        });
      if ((days.length - 1 - i) % every === 0) text(svg, cx, H - 8, mmdd(d.x));
    });
    return svg;
  }

  window.CroupierCharts = { line: line, bars: bars };
})();
