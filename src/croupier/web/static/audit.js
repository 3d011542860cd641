/* The audit page's integrity indicator: walks the hash chain on the server. */
(function () {
  "use strict";
  var box = document.getElementById("chain-status");
  if (!box) return;
  var label = document.getElementById("chain-text");
  fetch(box.getAttribute("data-source"), { headers: { Accept: "application/json" }, cache: "no-store", credentials: "same-origin" })
    .then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    })
    .then(function (result) {
      // the count as the server wrote it in the reader's locale
      var checked = result.checked_text + " record" + (result.checked === 1 ? "" : "s") + " checked";
      box.classList.remove("chain-pending");
      if (result.ok) {
        box.classList.add("chain-ok");
        box.setAttribute("data-state", "ok");
        label.textContent = "OK · " + checked;
      } else {
        var first = result.breaks[0];
        box.classList.add("chain-broken");
        box.setAttribute("data-state", "broken");
        label.textContent = "BROKEN · " + checked + ", " + result.break_count + " break(s); first at seq " +
          first.seq + ": " + first.reason;
      }
    })
    .catch(function (error) {
      box.setAttribute("data-state", "error");
      label.textContent = "could not verify (" + error.message + ")";
    });
})();
