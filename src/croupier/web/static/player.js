/* Player-360: filter the feature list, and load older timeline events in place. */
(function () {
  "use strict";
  var filter = document.getElementById("feature-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var needle = filter.value.trim().toLowerCase();
      document.querySelectorAll(".feature-group").forEach(function (group) {
        var shown = 0;
        group.querySelectorAll("tr[data-name]").forEach(function (row) {
          var match = !needle || row.getAttribute("data-name").indexOf(needle) !== -1;
          row.hidden = !match;
          if (match) shown += 1;
        });
        group.hidden = shown === 0;
        if (needle) group.open = true;
      });
    });
  }

  var older = document.getElementById("load-older");
  var body = document.getElementById("timeline-body");
  if (!older || !body) return;

  function cell(content, cls) {
    var td = document.createElement("td");
    if (typeof content === "string") td.textContent = content; else td.appendChild(content);
    if (cls) td.className = cls;
    return td;
  }

  /* A time as the server wrote it for this reader (their zone and locale), exact on hover. */
  function time(iso, text, title) {
    var node = document.createElement("time");
    node.setAttribute("datetime", iso);
    if (title) node.setAttribute("title", title);
    node.textContent = text;
    return node;
  }

  function row(e) {
    var tr = document.createElement("tr");
    tr.setAttribute("data-seq", e.seq);
    tr.setAttribute("data-type", e.type);
    var code = document.createElement("code");
    code.textContent = e.type;
    var details = document.createElement("div");
    var summary = document.createElement("div");
    summary.className = "summary";
    summary.textContent = e.summary;
    var raw = document.createElement("details");
    raw.className = "raw";
    var label = document.createElement("summary");
    label.textContent = "raw JSON";
    var pre = document.createElement("pre");
    pre.textContent = e.raw;
    raw.appendChild(label);
    raw.appendChild(pre);
    details.appendChild(summary);
    details.appendChild(raw);
    tr.appendChild(cell(String(e.seq), "num"));
    tr.appendChild(cell(code));
    tr.appendChild(cell(time(e.occurred_at, e.occurred_at_text, e.occurred_at_title), "nowrap"));
    tr.appendChild(cell(time(e.received_at, e.received_at_text, e.received_at_title), "nowrap"));
    tr.appendChild(cell(details));
    return tr;
  }

  older.addEventListener("click", function (event) {
    event.preventDefault();
    var before = older.getAttribute("data-before");
    var url = "/bo/api/events?player_id=" + encodeURIComponent(older.getAttribute("data-player")) +
      "&before_seq=" + encodeURIComponent(before);
    older.setAttribute("aria-busy", "true");
    fetch(url, { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        data.events.forEach(function (e) { body.appendChild(row(e)); });
        if (data.events.length) {
          var last = data.events[data.events.length - 1].seq;
          older.setAttribute("data-before", last);
          older.setAttribute("href", older.getAttribute("href").replace(/before_seq=\d+/, "before_seq=" + last));
        }
        var shown = document.getElementById("timeline-shown");
        if (shown) shown.textContent = String(body.querySelectorAll("tr[data-seq]").length);
        if (!data.more) {
          older.hidden = true;
          var end = document.getElementById("timeline-end");
          if (end) end.hidden = false;
        }
      })
      .catch(function () { window.location.assign(older.getAttribute("href")); })
      .then(function () { older.removeAttribute("aria-busy"); });
  });
})();
