/* The segment page's live preview: as the definition changes (debounced), POST it to
   /bo/api/segments/preview with the session's CSRF token and show the member count, the
   summary in words, the players a promotional segment leaves out by reason and a sample
   linking to their player-360 pages; or every problem with its line and column. */
(function () {
  "use strict";
  var form = document.getElementById("segment-form");
  if (!form) return;
  var text = document.getElementById("segment-text");
  var purpose = document.getElementById("segment-purpose");
  var problems = document.getElementById("segment-text-problems");
  var status = document.getElementById("preview-status");
  var countBox = document.getElementById("preview-count");
  var summaryBox = document.getElementById("preview-summary");
  var leftOutBox = document.getElementById("preview-left-out");
  var reasonsList = document.getElementById("preview-reasons");
  var sampleList = document.getElementById("preview-sample");
  var timer = null;
  var asked = 0;
  var DELAY = 350;

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  function item(list, textContent) {
    var li = document.createElement("li");
    li.textContent = textContent;
    list.appendChild(li);
    return li;
  }

  function showProblems(found) {
    clear(problems);
    var list = document.createElement("ul");
    found.forEach(function (p) {
      var said = p.message;
      if (p.suggestions && p.suggestions.length && said.indexOf("did you mean") < 0) said += " Did you mean " + p.suggestions.join(", ") + "?";
      item(list, said).setAttribute("data-line", p.line || "");
    });
    problems.appendChild(list);
    text.setAttribute("aria-invalid", "true");
    status.textContent = "The definition has " + found.length + " problem" + (found.length === 1 ? "" : "s") + ".";
    form.setAttribute("data-state", "invalid");
  }

  // An ISO time in the reader's locale and time zone (My settings), as the pages' own times are.
  function readerTime(iso) {
    var root = document.documentElement;
    var when = new Date(iso);
    if (isNaN(when.getTime())) return iso;
    try {
      return when.toLocaleString(root.getAttribute("data-locale") || undefined,
        {timeZone: root.getAttribute("data-time-zone") || "UTC", year: "numeric", month: "short", day: "numeric",
         hour: "numeric", minute: "2-digit", second: "2-digit", timeZoneName: "short"});
    } catch (e) {
      return iso;
    }
  }

  function showAnswer(answer) {
    clear(problems);
    text.removeAttribute("aria-invalid");
    countBox.textContent = answer.count.toLocaleString(document.documentElement.getAttribute("data-locale") || undefined);
    summaryBox.textContent = answer.summary;
    leftOutBox.textContent = answer.purpose === "promotional"
      ? answer.left_out.total + " player" + (answer.left_out.total === 1 ? "" : "s") + " the gate would hold back"
      : "nobody (a " + answer.purpose.replace("_", " ") + " segment leaves nobody out)";
    clear(reasonsList);
    answer.left_out.by_reason.forEach(function (r) {
      var li = item(reasonsList, r.players + ": " + r.text + " ");
      var code = document.createElement("code");
      code.className = "reason";
      code.textContent = r.code;
      li.appendChild(code);
    });
    clear(sampleList);
    answer.sample.forEach(function (pid) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/players/" + encodeURIComponent(pid);
      a.textContent = pid;
      li.appendChild(a);
      sampleList.appendChild(li);
    });
    if (!answer.sample.length) item(sampleList, "no player matches now");
    status.textContent = "As of " + readerTime(answer.as_of) + ".";
    form.setAttribute("data-state", "ok");
  }

  function preview() {
    var mine = ++asked;
    if (!text.value.trim()) {
      clear(problems);
      status.textContent = "Write a definition to see who it matches.";
      return;
    }
    status.textContent = "Counting…";
    fetch(form.getAttribute("data-preview"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ text: text.value, purpose: purpose.value })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (mine !== asked) return;   // a newer definition was sent meanwhile
      if (result.status === 422 && result.body.problems) showProblems(result.body.problems);
      else if (result.status === 200) showAnswer(result.body);
      else status.textContent = "No preview: " + (result.body.detail || ("HTTP " + result.status));
    }).catch(function (error) {
      if (mine === asked) status.textContent = "No preview (" + error.message + ")";
    });
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(preview, DELAY);
  }

  text.addEventListener("input", later);
  purpose.addEventListener("change", later);
  if (text.value.trim()) preview();
})();
