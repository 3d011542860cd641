/* The segment page's live preview and the builder kept in step with the text: as either
   changes (debounced), POST the definition (the text, or the JSON form the builder spells)
   to /bo/api/segments/preview with the session's CSRF token and show the member count, the
   summary in words, the players a promotional segment leaves out by reason and a sample
   linking to their player-360 pages; or every problem with its line and column.
   A change in the builder writes the answer's canonical text into the text editor; a change
   in the text re-draws the builder from the answer's tree, or says why it cannot. */
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
  var builderBox = document.getElementById("builder-root");
  var builderNote = document.getElementById("builder-problems");
  var builderArea = document.getElementById("segment-builder");
  var builder = null;
  var source = "text";          // what the latest change was made in: "text" or "builder"
  var timer = null;
  var asked = 0;
  var waiting = false;          // a preview asked for and not yet answered
  var submitWhenSynced = false;
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
    if (!builderNote) return;
    clear(builderNote);
    if (source === "text") {
      builderNote.textContent = "The builder cannot show this text: it has " + found.length + " problem" +
        (found.length === 1 ? "" : "s") + " (listed under the text). It keeps the last definition it could read; " +
        "fix the text and the builder follows, or change the builder to replace the text.";
      builderArea.setAttribute("data-state", "stale");
    } else {
      var list = document.createElement("ul");
      found.forEach(function (p) { item(list, p.message); });
      builderNote.appendChild(list);
      builderArea.setAttribute("data-state", "invalid");
    }
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
    if (!builder) return;
    if (source === "text") drawBuilder(answer.tree);
    else {
      clear(builderNote);
      builderArea.setAttribute("data-state", "ok");
    }
  }

  function drawBuilder(tree) {
    clear(builderNote);
    var why = builder.show(tree);
    if (why) {
      builderNote.textContent = "The builder cannot show this definition: " + why;
      builderArea.setAttribute("data-state", "stale");
    } else builderArea.setAttribute("data-state", "ok");
  }

  function preview() {
    timer = null;
    var mine = ++asked;
    var sent = null;
    if (source === "builder") {
      var made = builder.definition();
      if (made.json === null) { waiting = false; submitWhenSynced = false; return; }  // builderChanged said why
      if (made.json === "") text.value = "";
      // the JSON form as the builder wrote it, its numbers with the digits typed
      else sent = '{"purpose":' + JSON.stringify(purpose.value) + ',"definition":' + made.json + "}";
    } else if (text.value.trim()) {
      sent = JSON.stringify({ text: text.value, purpose: purpose.value });
    }
    if (sent === null) {
      waiting = false;
      clear(problems);
      text.removeAttribute("aria-invalid");
      [countBox, summaryBox, leftOutBox].forEach(function (box) { box.textContent = "—"; });
      clear(reasonsList);
      clear(sampleList);
      status.textContent = "Write a definition, or build one, to see who it matches.";
      form.setAttribute("data-state", "empty");
      if (builder) {
        if (source === "text") drawBuilder(null);
        else { clear(builderNote); builderArea.setAttribute("data-state", "ok"); }
      }
      if (submitWhenSynced) { submitWhenSynced = false; send(); }   // the server says what an empty form lacks
      return;
    }
    waiting = true;
    status.textContent = "Counting…";
    fetch(form.getAttribute("data-preview"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: sent
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (mine !== asked) return;   // a newer definition was sent meanwhile
      waiting = false;
      if (source === "builder" && typeof result.body.text === "string") text.value = result.body.text;
      if (result.status === 422 && result.body.problems) showProblems(result.body.problems);
      else if (result.status === 200) showAnswer(result.body);
      else status.textContent = "No preview: " + (result.body.detail || ("HTTP " + result.status));
      if (submitWhenSynced) {
        submitWhenSynced = false;
        if (result.status !== 422) send();
      }
    }).catch(function (error) {
      if (mine !== asked) return;
      waiting = false;
      status.textContent = "No preview (" + error.message + ")";
      if (submitWhenSynced) { submitWhenSynced = false; send(); }
    });
  }

  // The builder changed: its JSON form goes to the preview, or it says what is missing.
  function builderChanged() {
    source = "builder";
    var made = builder.definition();
    clear(builderNote);
    if (made.json === null) {
      if (timer) clearTimeout(timer);
      timer = null;
      ++asked;                      // an answer still on its way is for an older definition
      waiting = false;
      var list = document.createElement("ul");
      made.problems.forEach(function (p) { item(list, p.message).setAttribute("data-for", p.id); });
      builderNote.appendChild(list);
      builderArea.setAttribute("data-state", "incomplete");
      status.textContent = "The builder's conditions are not complete yet.";
      form.setAttribute("data-state", "incomplete");
      return;
    }
    builderArea.setAttribute("data-state", "pending");
    later();
  }

  function later() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(preview, DELAY);
  }

  text.addEventListener("input", function () { source = "text"; later(); });
  purpose.addEventListener("change", later);

  function send() {
    if (form.requestSubmit) form.requestSubmit(); else form.submit();
  }

  // Saving waits for the text to catch up with the builder, and not for an incomplete builder.
  form.addEventListener("submit", function (event) {
    if (source === "builder" && builder && builder.definition().json === null) {
      event.preventDefault();
      status.textContent = "Not saved: complete the builder's conditions first.";
      builderNote.focus();
      return;
    }
    if (timer || waiting) {
      event.preventDefault();
      submitWhenSynced = true;
      if (timer) { clearTimeout(timer); preview(); }
    }
  });

  function start() {
    if (text.value.trim()) preview();
  }

  if (!builderBox) { start(); return; }
  fetch(builderBox.getAttribute("data-vocabulary"), { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (vocabulary) {
      builder = new window.CroupierSegmentBuilder(builderBox, vocabulary, builderChanged);
      builder.render();             // a first empty condition; the saved text's tree replaces it
      builderArea.setAttribute("data-state", text.value.trim() ? "pending" : "ok");
      start();
    }).catch(function (error) {
      builderNote.textContent = "The builder could not load the vocabulary (" + error.message + "); the text editor works.";
      start();
    });
})();
