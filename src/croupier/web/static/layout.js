/* Croupier back office: the layout's behaviour on every page.
   - The navigation collapses behind the "Menu" button on narrow screens (without this
     script it simply stays open above the content).
   - Every data table scrolls inside its own box, so a wide table never widens the page and
     its header row can stick while the rows scroll.
   - Tab sets ([data-tabs]) become ARIA tabs: arrow keys, Home/End, and the URL hash names
     the open tab, so a link can open one. Without this script every section stays visible
     and the tab list is a list of in-page links. */
(function () {
  "use strict";

  // -- navigation --------------------------------------------------------------------------
  var toggle = document.getElementById("nav-toggle");
  var sidebar = document.getElementById("sidebar");
  if (toggle && sidebar) {
    document.body.classList.add("nav-collapsible");
    toggle.hidden = false;
    var setOpen = function (open) {
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
      sidebar.classList.toggle("open", open);
    };
    toggle.addEventListener("click", function () {
      setOpen(toggle.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && toggle.getAttribute("aria-expanded") === "true") {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  // -- tables --------------------------------------------------------------------------------
  function heading(table) {
    // The name of the scrolling box: the table's caption, else the heading above it.
    var caption = table.querySelector("caption");
    if (caption) return caption.textContent.trim();
    var node = table;
    while (node && node !== document.body) {
      var sibling = node.previousElementSibling;
      while (sibling) {
        if (/^H[1-6]$/.test(sibling.tagName)) return sibling.textContent.replace(/\s+/g, " ").trim();
        var inner = sibling.querySelectorAll ? sibling.querySelectorAll("h1, h2, h3, h4") : [];
        if (inner.length) return inner[inner.length - 1].textContent.replace(/\s+/g, " ").trim();
        sibling = sibling.previousElementSibling;
      }
      node = node.parentElement;
    }
    return "Table";
  }

  function reachable(box) {
    // A box that scrolls must be reachable by keyboard (WCAG 2.1.1): focusable and named.
    // One that does not is no tab stop. Checked again whenever the table's size changes
    // (a window resized, a tab opened, rows loaded).
    var scrolls = box.scrollWidth > box.clientWidth + 1 || box.scrollHeight > box.clientHeight + 1;
    if (scrolls && !box.hasAttribute("tabindex")) {
      box.setAttribute("tabindex", "0");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", "Scrolling table: " + heading(box.firstElementChild));
    } else if (!scrolls && box.hasAttribute("tabindex")) {
      box.removeAttribute("tabindex");
      box.removeAttribute("role");
      box.removeAttribute("aria-label");
    }
  }

  var observer = window.ResizeObserver ? new ResizeObserver(function (entries) {
    entries.forEach(function (entry) { reachable(entry.target.parentElement); });
  }) : null;

  document.querySelectorAll("table.data").forEach(function (table) {
    var parent = table.parentElement;
    if (!parent || parent.classList.contains("table-scroll")) return;
    var box = document.createElement("div");
    box.className = "table-scroll";
    parent.insertBefore(box, table);
    box.appendChild(table);
    reachable(box);
    if (observer) observer.observe(table);
  });
  window.addEventListener("resize", function () {
    document.querySelectorAll(".table-scroll").forEach(reachable);
  });

  // -- tabs ----------------------------------------------------------------------------------
  document.querySelectorAll("[data-tabs]").forEach(function (root) {
    var list = root.querySelector(".tab-list");
    if (!list) return;
    var tabs = Array.prototype.slice.call(list.querySelectorAll("a[href^='#']"));
    var panels = tabs.map(function (tab) { return document.getElementById(tab.getAttribute("href").slice(1)); });
    if (!tabs.length || panels.indexOf(null) !== -1) return;

    list.setAttribute("role", "tablist");
    Array.prototype.forEach.call(list.children, function (item) { item.setAttribute("role", "presentation"); });
    tabs.forEach(function (tab, i) {
      var panel = panels[i];
      tab.setAttribute("role", "tab");
      tab.id = tab.id || panel.id + "-tab";
      tab.setAttribute("aria-controls", panel.id);
      panel.setAttribute("role", "tabpanel");
      panel.setAttribute("aria-labelledby", tab.id);
      panel.setAttribute("tabindex", "0");
    });
    root.classList.add("tabs-ready");

    function select(index, focus) {
      tabs.forEach(function (tab, i) {
        var on = i === index;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        tab.setAttribute("tabindex", on ? "0" : "-1");
        tab.classList.toggle("active", on);
        panels[i].hidden = !on;
      });
      if (focus) tabs[index].focus();
    }

    function fromHash(scroll) {
      // The tab whose panel is (or holds) the element the URL hash names; the first otherwise.
      var id = window.location.hash.slice(1);
      try { id = decodeURIComponent(id); } catch (e) { /* a malformed hash names nothing */ }
      var target = id ? document.getElementById(id) : null;
      var index = -1;
      if (target) {
        panels.forEach(function (panel, i) { if (panel === target || panel.contains(target)) index = i; });
      }
      if (index === -1) {
        if (target) return false;   // a hash outside the tabs: leave it to the browser
        index = 0;
      }
      select(index, false);
      // a hash naming a whole panel shows the tab list above it; one inside it, the element
      if (scroll && target) (target === panels[index] ? root : target).scrollIntoView({ block: "start" });
      return true;
    }

    tabs.forEach(function (tab, i) {
      tab.addEventListener("click", function (event) {
        event.preventDefault();
        select(i, true);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "#" + panels[i].id);
        }
      });
      tab.addEventListener("keydown", function (event) {
        var next = null;
        if (event.key === "ArrowRight") next = (i + 1) % tabs.length;
        else if (event.key === "ArrowLeft") next = (i - 1 + tabs.length) % tabs.length;
        else if (event.key === "Home") next = 0;
        else if (event.key === "End") next = tabs.length - 1;
        if (next === null) return;
        event.preventDefault();
        select(next, true);
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", "#" + panels[next].id);
        }
      });
    });

    if (!fromHash(true)) select(0, false);
    window.addEventListener("hashchange", function () { fromHash(true); });
  });
})();
