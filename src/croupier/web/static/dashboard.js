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

  /* Figures arrive already written for the signed-in reader (data.display: their locale
     and time zone, formatted by the server with Babel); this script formats nothing. */
  var FIELDS = ["events_per_second", "events_last_minute", "active_players_24h", "players_total", "events_total"];
  var MONEY = ["deposits", "stakes", "wins", "ggr"];

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

  function moneyCell(text, negative, col) {
    var td = cell("td", "", "num", col);
    var span = document.createElement("span");
    span.className = negative ? "money money-negative" : "money";
    span.textContent = text;
    td.appendChild(span);
    return td;
  }

  function updateAsOf(display) {
    document.querySelectorAll('[data-field="as_of"]').forEach(function (node) {
      var time = node.querySelector("time");
      if (!time) {
        time = document.createElement("time");
        node.replaceChildren(time);
      }
      time.setAttribute("datetime", display.as_of_iso);
      time.setAttribute("title", display.as_of_title);
      if (time.textContent !== display.as_of) time.textContent = display.as_of;
    });
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
      MONEY.forEach(function (col, i) {
        tr.appendChild(moneyCell(t[col], t[col + "_negative"], col));
        if (i === 0) tr.appendChild(cell("td", t.deposit_count, "num", "deposit_count"));
      });
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
    var display = data.display;
    FIELDS.forEach(function (field) {
      document.querySelectorAll('[data-field="' + field + '"]').forEach(function (node) {
        setText(node, display[field]);
      });
    });
    updateAsOf(display);
    updateToday(display.today);
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
