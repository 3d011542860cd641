/* The journey editor: as the definition changes (debounced), POST it to
   /bo/api/journeys/check with the session's CSRF token; list every problem with its line and
   column (a button puts the cursor there), and redraw the flow diagram from the server's SVG.
   While the text cannot be read as a journey the last diagram stays, dimmed. A published
   journey's step counts (data-badges on the diagram, by step id) go on the badges of the
   redrawn diagram's steps of the same id. */
(function () {
  "use strict";
  var form = document.getElementById("journey-form");
  if (!form) return;
  var text = document.getElementById("journey-definition");
  var list = document.getElementById("journey-problem-list");
  var status = document.getElementById("journey-problems-status");
  var diagram = document.getElementById("journey-diagram");
  var diagramStatus = document.getElementById("diagram-status");
  var timer = null;
  var asked = 0;
  var DELAY = 300;

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // The offset of a 1-based line and column in the textarea's text.
  function offsetOf(line, column) {
    var lines = text.value.split("\n");
    var offset = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
    return offset + Math.max(0, column - 1);
  }

  function goTo(line, column) {
    var at = offsetOf(line, column);
    text.focus();
    text.setSelectionRange(at, at);
    var lineHeight = text.scrollHeight / Math.max(1, text.value.split("\n").length);
    text.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function problemItem(p) {
    var li = document.createElement("li");
    li.setAttribute("data-path", p.path);
    if (p.line) {
      li.setAttribute("data-line", p.line);
      li.setAttribute("data-column", p.column);
      var go = document.createElement("button");
      go.type = "button";
      go.className = "link-button go-to";
      go.setAttribute("data-line", p.line);
      go.setAttribute("data-column", p.column);
      go.textContent = "line " + p.line + ", column " + p.column;
      li.appendChild(go);
      li.appendChild(document.createTextNode(" "));
    }
    var code = document.createElement("code");
    code.textContent = p.path;
    li.appendChild(code);
    var said = ": " + p.message;
    if (p.suggestions && p.suggestions.length && p.message.indexOf("did you mean") < 0) said += " Did you mean " + p.suggestions.join(", ") + "?";
    li.appendChild(document.createTextNode(said));
    return li;
  }

  var badges = {};
  try { badges = JSON.parse(diagram.getAttribute("data-badges") || "{}"); } catch (e) { badges = {}; }

  function fillBadges() {
    var slots = diagram.querySelectorAll(".step-badge[data-badge-for]");
    for (var i = 0; i < slots.length; i++) {
      var step = slots[i].getAttribute("data-badge-for");
      slots[i].textContent = Object.prototype.hasOwnProperty.call(badges, step) ? badges[step] : "";
    }
  }

  function show(answer) {
    clear(list);
    answer.problems.forEach(function (p) { list.appendChild(problemItem(p)); });
    var n = answer.problems.length;
    if (n) {
      text.setAttribute("aria-invalid", "true");
      status.textContent = n + " problem" + (n === 1 ? "" : "s") + ": fix " + (n === 1 ? "it" : "them") + " before publishing.";
    } else {
      text.removeAttribute("aria-invalid");
      status.textContent = "No problems: this definition can be published.";
    }
    form.setAttribute("data-state", n ? "invalid" : "ok");
    if (answer.svg) {
      diagram.innerHTML = answer.svg;   // built and escaped by the server (journey_diagram.svg)
      fillBadges();
      diagram.classList.remove("stale");
      diagramStatus.textContent = "The flow of the definition as written.";
    } else {
      diagram.classList.add("stale");
      diagramStatus.textContent = diagram.firstChild
        ? "The definition cannot be read as a journey: the flow shown is the last one that could."
        : "No flow to draw until the definition can be read as a journey.";
    }
  }

  function check() {
    var mine = ++asked;
    fetch(form.getAttribute("data-check"), {
      method: "POST", credentials: "same-origin", cache: "no-store",
      headers: { "Content-Type": "application/json", Accept: "application/json",
                 "X-CSRF-Token": form.getAttribute("data-csrf") },
      body: JSON.stringify({ text: text.value })
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (result) {
      if (mine !== asked) return;   // a newer text was sent meanwhile
      if (result.status === 200) show(result.body);
      else status.textContent = "Not checked: " + (result.body.detail || ("HTTP " + result.status));
    }).catch(function (error) {
      if (mine === asked) status.textContent = "Not checked (" + error.message + ")";
    });
  }

  text.addEventListener("input", function () {
    if (timer) clearTimeout(timer);
    timer = setTimeout(check, DELAY);
  });
  document.getElementById("journey-problems").addEventListener("click", function (event) {
    var go = event.target.closest ? event.target.closest(".go-to") : null;
    if (go) goTo(Number(go.getAttribute("data-line")), Number(go.getAttribute("data-column")));
  });
})();
