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

  /* Chart helpers (kept apart from the figures' formatting above). */
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function hhmm(seconds) { var d = new Date(seconds * 1000); return two(d.getUTCHours()) + ":" + two(d.getUTCMinutes()); }
  function mmdd(seconds) { var d = new Date(seconds * 1000); return two(d.getUTCMonth() + 1) + "-" + two(d.getUTCDate()); }
  function total(values) { return values.reduce(function (a, b) { return a + b; }, 0); }
  var count = new Intl.NumberFormat(document.documentElement.dataset.locale || document.documentElement.lang || undefined).format;

  /* The charts, as data for CroupierCharts (static/charts.js): updated in place each poll. */
  function updateCharts(data) {
    if (!charts) return;
    var events = document.getElementById("chart-events");
    if (events) {
      var counts = data.events_per_minute.map(function (p) { return p.events; });
      charts.render(events, {
        type: "line", format: "number", unit: "events", axisLabel: "Minute (UTC)",
        labels: data.events_per_minute.map(function (p) { return hhmm(p.minute); }),
        series: [{ label: "Events per minute", values: counts, tone: "brand" }],
        summary: "Line chart of events stored per minute over the last " + counts.length + " minutes: " +
          count(total(counts)) + " in all, at most " + count(Math.max.apply(null, counts.concat([0]))) + " in one minute.",
        caption: "Events stored per minute, last hour (UTC)"
      });
    }
    var list = document.getElementById("chart-daily");
    if (!list) return;
    var currencies = Object.keys(data.daily).sort();
    var empty = document.getElementById("chart-daily-empty");
    if (empty) empty.hidden = currencies.length > 0;
    /* One box per currency, kept across polls (its chart is updated, not rebuilt). */
    list.querySelectorAll(":scope > [data-currency]").forEach(function (box) {
      if (currencies.indexOf(box.getAttribute("data-currency")) < 0) {
        charts.render(box.querySelector(".chart"), { labels: [] });
        box.remove();
      }
    });
    currencies.forEach(function (c, i) {
      var box = list.querySelector(':scope > [data-currency="' + c + '"]');
      if (!box) {
        box = document.createElement("div");
        box.setAttribute("data-currency", c);
        var title = document.createElement("p");
        title.className = "chart-title";
        title.textContent = c;
        var chart = document.createElement("div");
        chart.className = "chart";
        box.appendChild(title);
        box.appendChild(chart);
        var next = list.children[i] || null;
        list.insertBefore(box, next);
      }
      var days = lastDays(data.as_of, DAYS, data.daily[c]);
      var deposits = days.map(function (d) { return d.a; });
      var ggr = days.map(function (d) { return d.b; });
      charts.render(box.querySelector(".chart"), {
        type: "bar", format: "number", unit: c, axisLabel: "Day (UTC)",
        labels: days.map(function (d) { return mmdd(d.x); }),
        series: [{ label: "Deposits", values: deposits, tone: "deposits" },
                 { label: "GGR", values: ggr, tone: "ggr" }],
        summary: "Bar chart of daily deposits and GGR in " + c + " over the last " + days.length + " days: deposits " +
          total(deposits).toFixed(2) + " " + c + ", GGR " + total(ggr).toFixed(2) + " " + c + ".",
        caption: "Daily deposits and GGR in " + c + ", last " + days.length + " days (UTC)"
      });
    });
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

  /* The demo's backfill notice: shown with its progress while one runs, hidden when done. */
  function updateBackfill(backfill) {
    var notice = document.getElementById("backfill-notice");
    if (!notice) return;
    notice.hidden = !backfill;
    if (!backfill) return;
    document.getElementById("backfill-text").textContent = backfill.text;
    document.getElementById("backfill-progress").value = backfill.fraction;
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
    updateBackfill(data.backfill);
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
