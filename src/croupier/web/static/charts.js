/* The back office's charts: a thin layer over the vendored Chart.js (static/vendor/chartjs).

   Pages describe a chart by data, never by drawing code:
     CroupierCharts.render(container, spec)   draw or update in place (no flicker, no animation)
     <div class="chart" data-chart-src="/bo/api/…" data-chart-key="name"></div>
                                              drawn on load from `charts[name]` of that JSON
   spec = {
     type: "line" | "bar",            the base type; a series may override it with `kind`
     horizontal: true,                bars along the y axis (funnels, rankings)
     stacked: true,                   stack the series
     labels: ["09:00", …],            the x categories, already formatted by the server or page
     series: [{label, values, tone, kind: "line" | "bar" | "band", lower, upper}],
                                      a band fills between `lower` and `upper` (an interval)
     format: "number" | "percent" | "hours",  how values read in ticks, tooltips and the table
     unit: "SEK",                     appended to values in tooltips and the table
     summary: "…",                    the canvas's accessible name (aria-label)
     caption: "…",                    the caption of the data table screen readers get
     empty: "…"                       shown instead of the chart when there are no labels
   }
   A canvas is opaque to screen readers, so each chart carries a visually hidden table of the
   same numbers. Colours come from CSS custom properties (--chart-<tone>) so the palette lives
   in croupier.css; the CSP forbids inline styles, and Chart.js only sets element.style from
   script, which the CSP allows. The container's data-chart-points says how many categories
   are drawn (tests and tools read it; the Chart.js instance is Chart.getChart(canvas)). */
(function () {
  "use strict";
  var Chart = window.Chart;
  var TONES = ["brand", "deposits", "ggr", "info", "warn", "muted"];

  function cssVar(node, name, fallback) {
    var value = window.getComputedStyle(node).getPropertyValue(name).trim();
    return value || fallback;
  }

  function tone(node, name, index) {
    return cssVar(node, "--chart-" + (name || TONES[index % TONES.length]), "#0f5e4a");
  }

  /* The same colour with an alpha, for areas and bands: "#rrggbb" -> "rgba(r, g, b, a)". */
  function translucent(colour, alpha) {
    var m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour);
    if (!m) return colour;
    return "rgba(" + parseInt(m[1], 16) + ", " + parseInt(m[2], 16) + ", " + parseInt(m[3], 16) + ", " + alpha + ")";
  }

  /* the reader's locale (My settings), so chart figures read like the page's Babel-formatted ones */
  var locale = document.documentElement.dataset.locale || document.documentElement.lang || undefined;
  var compactFormat = new Intl.NumberFormat(locale, { notation: "compact", maximumFractionDigits: 1 });
  var plainFormat = new Intl.NumberFormat(locale, { maximumFractionDigits: 2 });
  var percentFormat = new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 });

  /* How a value reads: `tick` short (axis), otherwise in full (tooltip, table). */
  function formatter(spec, tick) {
    return function (value) {
      if (value === null || value === undefined || Number.isNaN(value)) return "–";
      if (spec.format === "percent") return percentFormat.format(value);
      var text = tick ? compactFormat.format(value) : plainFormat.format(value);
      if (spec.format === "hours") return text + " h";
      return tick || !spec.unit ? text : text + " " + spec.unit;
    };
  }

  /* Chart.js datasets from the spec's series; a band becomes two datasets, the upper one
     filled down to the lower. */
  function datasets(container, spec) {
    var out = [];
    (spec.series || []).forEach(function (s, i) {
      var colour = tone(container, s.tone, i);
      if (s.kind === "band") {
        out.push({ label: s.label + " (lower)", data: s.lower.slice(), type: "line", borderWidth: 0,
                   pointRadius: 0, fill: false, backgroundColor: translucent(colour, 0.18), band: "lower" });
        out.push({ label: s.label, data: s.upper.slice(), type: "line", borderWidth: 0, pointRadius: 0,
                   fill: "-1", backgroundColor: translucent(colour, 0.18), borderColor: colour, band: "upper" });
        return;
      }
      var kind = s.kind || spec.type;
      var negative = tone(container, "negative", 0);
      var ds = { label: s.label, data: s.values.slice(), type: kind, borderColor: colour };
      if (kind === "line") {
        ds.backgroundColor = translucent(colour, 0.1);
        ds.fill = spec.series.length === 1 ? "origin" : false;
        ds.borderWidth = 2;
        ds.pointRadius = 0;
        ds.pointHitRadius = 6;
        ds.tension = 0;
      } else {
        ds.backgroundColor = s.values.map(function (v) { return v < 0 ? negative : colour; });
        ds.borderWidth = 0;
        ds.maxBarThickness = 22;
      }
      out.push(ds);
    });
    return out;
  }

  function options(container, spec) {
    var ink = cssVar(container, "--muted", "#66727f");
    var grid = cssVar(container, "--chart-grid", "#eef1f4");
    var tick = formatter(spec, true);
    var full = formatter(spec, false);
    var bare = formatter({ format: spec.format }, false);
    var valueAxis = spec.horizontal ? "x" : "y";
    var categoryAxis = spec.horizontal ? "y" : "x";
    var scales = {};
    scales[valueAxis] = {
      beginAtZero: true, stacked: !!spec.stacked, grid: { color: grid },
      ticks: { color: ink, maxTicksLimit: 5, callback: function (v) { return tick(v); } }
    };
    if (spec.format === "percent") scales[valueAxis].suggestedMax = 1;
    scales[categoryAxis] = {
      stacked: !!spec.stacked, grid: { display: false },
      ticks: { color: ink, autoSkip: true, maxRotation: 0, maxTicksLimit: spec.horizontal ? 30 : 8 }
    };
    return {
      responsive: true, maintainAspectRatio: false, animation: false, indexAxis: categoryAxis,
      interaction: { mode: "index", intersect: false },
      scales: scales,
      plugins: {
        legend: { display: (spec.series || []).length > 1, position: "bottom",
                  labels: { color: ink, boxWidth: 12,
                            filter: function (item, data) { return data.datasets[item.datasetIndex].band !== "lower"; } } },
        tooltip: {
          filter: function (item) { return item.dataset.band !== "lower"; },
          callbacks: {
            label: function (item) {
              var ds = item.dataset;
              if (ds.band === "upper") {
                var lower = item.chart.data.datasets[item.datasetIndex - 1].data[item.dataIndex];
                return ds.label + ": " + bare(lower) + " – " + full(item.raw);
              }
              return ds.label + ": " + full(item.raw);
            }
          }
        }
      }
    };
  }

  /* The visually hidden table: one row per category, one column per series. */
  function table(spec) {
    var full = formatter(spec, false);
    var bare = formatter({ format: spec.format }, false);   /* the unit once per interval */
    var t = document.createElement("table");
    t.className = "chart-data";
    var caption = document.createElement("caption");
    caption.textContent = spec.caption || spec.summary || "";
    t.appendChild(caption);
    var head = document.createElement("tr");
    var corner = document.createElement("th");
    corner.setAttribute("scope", "col");
    corner.textContent = spec.axisLabel || "";
    head.appendChild(corner);
    (spec.series || []).forEach(function (s) {
      var th = document.createElement("th");
      th.setAttribute("scope", "col");
      th.textContent = s.label;
      head.appendChild(th);
    });
    var thead = document.createElement("thead");
    thead.appendChild(head);
    t.appendChild(thead);
    var body = document.createElement("tbody");
    (spec.labels || []).forEach(function (label, i) {
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      th.setAttribute("scope", "row");
      th.textContent = label;
      tr.appendChild(th);
      (spec.series || []).forEach(function (s) {
        var td = document.createElement("td");
        td.textContent = s.kind === "band" ? bare(s.lower[i]) + " – " + full(s.upper[i]) : full(s.values[i]);
        tr.appendChild(td);
      });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }

  function shape(spec) {
    return [spec.type, !!spec.horizontal, !!spec.stacked, spec.format, spec.unit]
      .concat((spec.series || []).map(function (s) { return (s.kind || "") + ":" + (s.tone || ""); })).join("|");
  }

  function clear(container) {
    var old = container.querySelector("canvas");
    var chart = old && Chart ? Chart.getChart(old) : null;
    if (chart) chart.destroy();
    container.replaceChildren();
  }

  function message(container, text, cls) {
    clear(container);
    var p = document.createElement("p");
    p.className = cls || "muted chart-empty";
    p.textContent = text;
    container.appendChild(p);
    container.setAttribute("data-chart-points", "0");
  }

  /* Horizontal bars take the height their categories need. */
  function barsHeight(spec) { return Math.max(140, 70 + 44 * spec.labels.length) + "px"; }

  /* Draw `spec` into `container`, or update the chart already there (same shape: new data
     only, so a polling page does not rebuild the canvas every tick). Returns the Chart. */
  function render(container, spec) {
    if (!Chart) { message(container, "Charts could not be loaded.", "muted chart-error"); return null; }
    if (!spec.labels || !spec.labels.length) {
      message(container, spec.empty || "No data yet.");
      return null;
    }
    var canvas = container.querySelector("canvas");
    var chart = canvas ? Chart.getChart(canvas) : null;
    var key = shape(spec);
    if (chart && container.getAttribute("data-chart-shape") === key) {
      var fresh = datasets(container, spec);
      chart.data.labels = spec.labels.slice();
      fresh.forEach(function (ds, i) {
        chart.data.datasets[i].data = ds.data;
        chart.data.datasets[i].label = ds.label;
        if (Array.isArray(ds.backgroundColor)) chart.data.datasets[i].backgroundColor = ds.backgroundColor;
      });
      chart.update("none");
      if (spec.horizontal) canvas.parentNode.style.height = barsHeight(spec);
      canvas.setAttribute("aria-label", spec.summary || "");
      container.querySelector("table.chart-data").replaceWith(table(spec));
    } else {
      clear(container);
      var frame = document.createElement("div");
      frame.className = "chart-canvas";
      /* horizontal bars: the height follows the number of categories (element.style from
         script is allowed by the CSP; style="" in HTML is not) */
      if (spec.horizontal) frame.style.height = barsHeight(spec);
      canvas = document.createElement("canvas");
      canvas.setAttribute("role", "img");
      canvas.setAttribute("aria-label", spec.summary || "");
      frame.appendChild(canvas);
      container.appendChild(frame);
      var hidden = document.createElement("div");   /* a table ignores width: 1px; a div clips it */
      hidden.className = "sr-only";
      hidden.appendChild(table(spec));
      container.appendChild(hidden);
      chart = new Chart(canvas, { type: spec.type === "bar" ? "bar" : "line",
                                  data: { labels: spec.labels.slice(), datasets: datasets(container, spec) },
                                  options: options(container, spec) });
      container.setAttribute("data-chart-shape", key);
    }
    container.setAttribute("data-chart-points", String(spec.labels.length));
    return chart;
  }

  /* Declared charts: each distinct data-chart-src is fetched once; its `charts` object holds
     one spec per data-chart-key. */
  function drawDeclared() {
    var bySource = {};
    document.querySelectorAll("[data-chart-src][data-chart-key]").forEach(function (node) {
      var src = node.getAttribute("data-chart-src");
      (bySource[src] = bySource[src] || []).push(node);
    });
    Object.keys(bySource).forEach(function (src) {
      fetch(src, { headers: { Accept: "application/json" }, credentials: "same-origin", cache: "no-store" })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (data) {
          bySource[src].forEach(function (node) {
            var spec = (data.charts || {})[node.getAttribute("data-chart-key")];
            if (spec) render(node, spec);
            else message(node, "No such chart.", "muted chart-error");
          });
        })
        .catch(function () {
          bySource[src].forEach(function (node) { message(node, "The chart's data could not be loaded.", "muted chart-error"); });
        });
    });
  }

  if (Chart) {
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily || Chart.defaults.font.family;
    Chart.defaults.font.size = 11;
  }
  window.CroupierCharts = { render: render, drawDeclared: drawDeclared };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", drawDeclared);
  else drawDeclared();
})();
