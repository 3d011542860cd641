/* The live dashboard: polls /bo/api/dashboard and updates figures, the per-currency table
   and the charts in place (no reload). */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root) return;
  var source = root.getAttribute("data-source");
  var interval = parseInt(root.getAttribute("data-interval"), 10) || 2000;
  var status = document.getElementById("live-status");
  var charts = window.CroupierCharts;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function utc(seconds) {
    var d = new Date(seconds * 1000);
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) + " " +
      pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "Z";
  }
  var integer = function (n) { return Number(n).toLocaleString("en-US"); };
  var decimal = function (n) { return Number(n).toLocaleString("en-US", { minimumFractionDigits: 1, maximumFractionDigits: 1 }); };
  var FORMATS = {
    as_of: utc, events_per_second: decimal, events_last_minute: integer,
    active_players_24h: integer, players_total: integer, events_total: integer
  };

  function setText(node, value) {
    if (node.textContent !== value) {
      node.textContent = value;
      node.classList.add("changed");
      window.setTimeout(function () { node.classList.remove("changed"); }, 800);
    }
  }

  function cell(tag, value, cls, col) {
    var td = document.createElement(tag);
    td.textContent = value;
    if (cls) td.className = cls;
    if (col) td.setAttribute("data-col", col);
    return td;
  }

  function updateToday(today) {
    var body = document.getElementById("today-body");
    if (!body) return;
    var currencies = Object.keys(today).sort();
    var rows = document.createDocumentFragment();
    if (!currencies.length) {
      var tr = document.createElement("tr");
      tr.className = "empty";
      var td = cell("td", "No deposits or bets today yet.");
      td.setAttribute("colspan", "6");
      tr.appendChild(td);
      rows.appendChild(tr);
    }
    currencies.forEach(function (c) {
      var t = today[c];
      var tr = document.createElement("tr");
      tr.setAttribute("data-currency", c);
      var th = cell("th", c);
      th.setAttribute("scope", "row");
      tr.appendChild(th);
      tr.appendChild(cell("td", t.deposits + " " + c, "num", "deposits"));
      tr.appendChild(cell("td", integer(t.deposit_count), "num", "deposit_count"));
      tr.appendChild(cell("td", t.stakes + " " + c, "num", "stakes"));
      tr.appendChild(cell("td", t.wins + " " + c, "num", "wins"));
      tr.appendChild(cell("td", t.ggr + " " + c, "num", "ggr"));
      rows.appendChild(tr);
    });
    body.replaceChildren(rows);
  }

  function updateCharts(data) {
    if (!charts) return;
    var events = document.getElementById("chart-events");
    if (events) {
      charts.line(events, data.events_per_minute.map(function (p) { return { x: p.minute, y: p.events }; }),
        { unit: "events" });
    }
    var list = document.getElementById("chart-daily");
    if (!list) return;
    var frag = document.createDocumentFragment();
    var currencies = Object.keys(data.daily).sort();
    if (!currencies.length) {
      var p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No deposits or bets in the last 14 days.";
      frag.appendChild(p);
    }
    currencies.forEach(function (c) {
      var box = document.createElement("div");
      box.setAttribute("data-currency", c);
      var title = document.createElement("p");
      title.className = "chart-title";
      title.textContent = c;
      var chart = document.createElement("div");
      box.appendChild(title);
      box.appendChild(chart);
      frag.appendChild(box);
      charts.bars(chart, lastDays(data.as_of, DAYS, data.daily[c]), { unit: c, labelA: "deposits", labelB: "GGR" });
    });
    list.replaceChildren(frag);
  }

  var DAYS = 14;
  /* Every day of the window, zero where nothing happened, so the axis is real time. */
  function lastDays(asOf, count, rows) {
    var byDay = {};
    rows.forEach(function (d) { byDay[d.day] = d; });
    var today = Math.floor(asOf / 86400) * 86400;
    var out = [];
    for (var i = count - 1; i >= 0; i--) {
      var day = today - i * 86400;
      var row = byDay[day];
      out.push({ x: day, a: row ? parseFloat(row.deposits) : 0, b: row ? parseFloat(row.ggr) : 0 });
    }
    return out;
  }

  function update(data) {
    Object.keys(FORMATS).forEach(function (field) {
      document.querySelectorAll('[data-field="' + field + '"]').forEach(function (node) {
        setText(node, FORMATS[field](data[field]));
      });
    });
    updateToday(data.today);
    updateCharts(data);
  }

  function live(ok) {
    if (!status) return;
    status.classList.toggle("stale", !ok);
    var label = document.getElementById("live-text");
    if (!ok && label) label.firstChild.textContent = "Connection lost, retrying… last update ";
    if (ok && label) label.firstChild.textContent = "Live · as of ";
  }

  function tick() {
    fetch(source, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 401) { window.location.assign("/login?next=%2F"); throw new Error("signed out"); }
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) { update(data); live(true); })
      .catch(function () { live(false); })
      .then(function () { window.setTimeout(tick, interval); });
  }
  tick();
})();
