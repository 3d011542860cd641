/* The segment page's click-through builder: a tree of groups (all of / any of / none of)
   and conditions, each condition an identifier from the vocabulary (GET
   /bo/api/segments/vocabulary: the feature catalogue and the protection identifiers), an
   operator its kind allows and values suited to the kind. It knows nothing of the server's
   preview: segments.js gives it a tree to show (`show`) and asks it for the JSON form it
   spells (`definition`), which is how the builder and the text editor stay in step.

   The JSON form is written here by hand so that numbers keep the digits typed (a browser's
   JSON numbers are floats; the server reads them as exact decimals). "none of" is
   {"not": {"any": [...]}}: not one of its parts matches. */
(function () {
  "use strict";

  var NUMERIC = { integer: 1, number: 1, ratio: 1, money: 1, seconds: 1, days: 1 };
  var WHOLE = { integer: 1, seconds: 1, days: 1 };
  var COMPARISONS = { "=": 1, "!=": 1, "<": 1, "<=": 1, ">": 1, ">=": 1 };
  var LISTS = { "in": 1, "not_in": 1 };
  var PRESENCE = { "is_set": 1, "is_not_set": 1 };
  var NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;
  var MODES = [["all", "all of"], ["any", "any of"], ["none", "none of"]];
  var HINTS = {
    integer: "a whole number", number: "a number, e.g. 45 or 12.5", ratio: "a number, e.g. 0.25",
    money: "an amount in the player's wallet currency, e.g. 100 or 25.50", seconds: "a whole number of seconds",
    days: "a whole number of days", string: "a word", timestamp: "", boolean: "", level: ""
  };

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] !== null && attrs[k] !== undefined && attrs[k] !== false) node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function Builder(root, vocabulary, changed) {
    this.root = root;
    this.changed = changed;
    this.ids = {};
    this.groups = vocabulary.groups;
    this.opWords = {};
    this.next = 0;
    var self = this;
    vocabulary.operators.forEach(function (o) { self.opWords[o.op] = o.words; });
    vocabulary.groups.forEach(function (g) {
      g.identifiers.forEach(function (i) { self.ids[i.name] = i; });
    });
    this.tree = this.group("all", [this.condition()]);
  }

  Builder.prototype.group = function (mode, parts) {
    return { id: "b" + (++this.next), type: "group", mode: mode, parts: parts || [] };
  };

  Builder.prototype.condition = function () {
    return { id: "b" + (++this.next), type: "cond", feature: "", op: "", a: "", b: "", picked: [], search: "" };
  };

  // -- from the JSON form (numbers as decimal strings, see segments.builder.exact_tree) -------
  // Returns null when every part could be shown, else why not (the tree is left as it was).
  Builder.prototype.show = function (tree) {
    var why = [];
    var top = tree ? this.read(tree, why) : this.group("all", []);
    if (why.length) return why.join(" ");
    this.tree = top.type === "group" ? top : this.group("all", [top]);
    this.render();
    return null;
  };

  Builder.prototype.read = function (node, why) {
    var self = this;
    if (node.all) return this.group("all", node.all.map(function (n) { return self.read(n, why); }));
    if (node.any) return this.group("any", node.any.map(function (n) { return self.read(n, why); }));
    if (node.not) {
      var inner = node.not.any || [node.not];
      return this.group("none", inner.map(function (n) { return self.read(n, why); }));
    }
    var c = this.condition();
    var ident = this.ids[node.feature];
    c.feature = node.feature;
    c.op = node.op;
    if (!ident) {
      why.push(node.feature + " is not in the vocabulary.");
      return c;
    }
    var values = Array.isArray(node.value) ? node.value.map(String)
      : node.value === undefined || node.value === null ? [] : [String(node.value)];
    if (LISTS[node.op] && ident.values.length) c.picked = values;
    else if (LISTS[node.op]) {
      if (values.some(function (v) { return v.indexOf(",") >= 0; })) {
        why.push("The builder lists " + node.feature + "'s values separated by commas, so it cannot show a value " +
                 "that holds a comma; edit that condition in the text.");
      }
      c.a = values.join(", ");
    } else {
      c.a = values[0] || "";
      c.b = values[1] || "";
    }
    return c;
  };

  // -- to the JSON form ------------------------------------------------------------------------
  // {json: "..." or "" when there are no conditions, problems: [{id, message}]}.
  Builder.prototype.definition = function () {
    var problems = [];
    var count = { cond: 0, group: 0 };
    var json = this.tree.parts.length ? this.write(this.tree, problems, count) : "";
    return { json: problems.length ? null : json, problems: problems };
  };

  Builder.prototype.write = function (node, problems, count) {
    var self = this;
    if (node.type === "cond") return this.writeCondition(node, problems, ++count.cond);
    var number = ++count.group;
    if (!node.parts.length) {
      problems.push({ id: node.id, message: "Group " + number + " is empty: add a condition to it or remove it." });
      return "";
    }
    var parts = node.parts.map(function (p) { return self.write(p, problems, count); }).join(",");
    if (node.mode === "none") return '{"not":{"any":[' + parts + "]}}";
    return "{" + JSON.stringify(node.mode) + ":[" + parts + "]}";
  };

  Builder.prototype.writeCondition = function (c, problems, number) {
    var said = "Condition " + number + ": ";
    var ident = this.ids[c.feature];
    if (!ident) {
      problems.push({ id: c.id, message: said + "choose what to compare." });
      return "";
    }
    var head = '{"feature":' + JSON.stringify(c.feature) + ',"op":' + JSON.stringify(c.op);
    if (PRESENCE[c.op]) return head + "}";
    var raw;
    if (LISTS[c.op]) {
      raw = ident.values.length ? c.picked.slice() : c.a.split(",").map(function (v) { return v.trim(); })
        .filter(function (v) { return v !== ""; });
      if (!raw.length) {
        problems.push({ id: c.id, message: said + "choose at least one value." });
        return "";
      }
    } else raw = c.op === "between" ? [c.a, c.b] : [c.a];
    var out = [];
    for (var i = 0; i < raw.length; i++) {
      var v = this.literal(ident, raw[i]);
      if (v.why) {
        var which = c.op === "between" ? (i === 0 ? "the first value" : "the second value") : "the value";
        problems.push({ id: c.id, message: said + which + " " + v.why });
        return "";
      }
      out.push(v.json);
    }
    return head + ',"value":' + (COMPARISONS[c.op] ? out[0] : "[" + out.join(",") + "]") + "}";
  };

  Builder.prototype.literal = function (ident, text) {
    var v = String(text).trim();
    if (NUMERIC[ident.kind]) {
      if (!v) return { why: "is missing: enter " + HINTS[ident.kind] + "." };
      if (!NUMBER.test(v)) return { why: "\"" + v + "\" is not a number: enter " + HINTS[ident.kind] + " (digits, a point for decimals)." };
      if (WHOLE[ident.kind] && v.indexOf(".") >= 0) return { why: "must be a whole number." };
      return { json: v };
    }
    if (ident.kind === "boolean") {
      if (v !== "true" && v !== "false") return { why: "is missing: choose true or false." };
      return { json: v };
    }
    if (!v) return { why: "is missing: " + (ident.values.length ? "choose one." : "enter it.") };
    return { json: JSON.stringify(v) };
  };

  // -- the controls ----------------------------------------------------------------------------
  Builder.prototype.render = function () {
    var focused = document.activeElement && this.root.contains(document.activeElement) ? document.activeElement.id : null;
    while (this.root.firstChild) this.root.removeChild(this.root.firstChild);
    this.count = { cond: 0, group: 0 };
    this.root.appendChild(this.renderGroup(this.tree, null));
    if (focused) {
      var again = document.getElementById(focused);
      if (again) again.focus();
    }
  };

  Builder.prototype.edit = function (rerender) {
    if (rerender) this.render();
    this.changed();
  };

  Builder.prototype.renderGroup = function (g, parent) {
    var self = this;
    var number = ++this.count.group;
    var name = parent ? "Group " + number : "All conditions";
    var box = el("div", { "class": "builder-group", role: "group", "aria-label": name, "data-part": "group",
                          "data-mode": g.mode, id: g.id });
    var head = el("div", { "class": "builder-head" });
    var modeId = g.id + "-mode";
    head.appendChild(el("label", { "for": modeId }, parent ? name + ": players matching" : "Players matching"));
    var mode = el("select", { id: modeId, "data-role": "mode" });
    MODES.forEach(function (m) {
      var o = el("option", { value: m[0] }, m[1]);
      if (m[0] === g.mode) o.selected = true;
      mode.appendChild(o);
    });
    mode.addEventListener("change", function () {
      g.mode = mode.value;
      box.setAttribute("data-mode", g.mode);
      self.edit(false);
    });
    head.appendChild(mode);
    head.appendChild(el("span", { "class": "muted" }, "these"));
    if (parent) {
      var drop = el("button", { type: "button", "class": "btn btn-small", "data-role": "remove-group",
                                "aria-label": "Remove group " + number }, "Remove group");
      drop.addEventListener("click", function () {
        parent.parts.splice(parent.parts.indexOf(g), 1);
        self.edit(true);
        var back = document.getElementById(parent.id + "-add");
        if (back) back.focus();
      });
      head.appendChild(drop);
    }
    box.appendChild(head);
    var list = el("ol", { "class": "builder-parts" });
    g.parts.forEach(function (p) {
      var li = el("li");
      li.appendChild(p.type === "group" ? self.renderGroup(p, g) : self.renderCondition(p, g));
      list.appendChild(li);
    });
    if (!g.parts.length) list.appendChild(el("li", { "class": "muted small" }, "No conditions yet."));
    box.appendChild(list);
    var actions = el("div", { "class": "builder-actions" });
    var addCond = el("button", { type: "button", "class": "btn btn-small", id: g.id + "-add", "data-role": "add-condition",
                                 "aria-label": "Add condition to " + name.toLowerCase() }, "Add condition");
    addCond.addEventListener("click", function () {
      var c = self.condition();
      g.parts.push(c);
      self.edit(true);
      document.getElementById(c.id + "-find").focus();
    });
    var addGroup = el("button", { type: "button", "class": "btn btn-small", id: g.id + "-add-group", "data-role": "add-group",
                                  "aria-label": "Add group to " + name.toLowerCase() }, "Add group");
    addGroup.addEventListener("click", function () {
      var inner = self.group("any", [self.condition()]);
      g.parts.push(inner);
      self.edit(true);
      document.getElementById(inner.id + "-mode").focus();
    });
    actions.appendChild(addCond);
    actions.appendChild(addGroup);
    box.appendChild(actions);
    return box;
  };

  Builder.prototype.matching = function (search, chosen) {
    var words = search.trim().toLowerCase().split(/\s+/).filter(Boolean);
    return this.groups.map(function (g) {
      return { title: g.title, identifiers: g.identifiers.filter(function (i) {
        if (i.name === chosen) return true;
        var hay = (i.name + " " + i.words + " " + i.text).toLowerCase();
        return words.every(function (w) { return hay.indexOf(w) >= 0; });
      }) };
    }).filter(function (g) { return g.identifiers.length; });
  };

  Builder.prototype.fillIdentifiers = function (select, c) {
    while (select.firstChild) select.removeChild(select.firstChild);
    select.appendChild(el("option", { value: "" }, "Choose what to compare…"));
    var shown = 0;
    this.matching(c.search, c.feature).forEach(function (g) {
      var group = el("optgroup", { label: g.title });
      g.identifiers.forEach(function (i) {
        var o = el("option", { value: i.name }, i.name + " — " + i.words);
        if (i.name === c.feature) o.selected = true;
        group.appendChild(o);
        shown++;
      });
      select.appendChild(group);
    });
    return shown;
  };

  Builder.prototype.renderCondition = function (c, parent) {
    var self = this;
    var number = ++this.count.cond;
    var box = el("div", { "class": "builder-condition", role: "group", "aria-label": "Condition " + number,
                          "data-part": "condition", id: c.id });
    var row = el("div", { "class": "builder-row" });

    var find = el("div", { "class": "builder-field" });
    find.appendChild(el("label", { "for": c.id + "-find" }, "Find"));
    var search = el("input", { id: c.id + "-find", type: "search", autocomplete: "off", "data-role": "find",
                               placeholder: "e.g. deposit, slots, rg", "aria-describedby": c.id + "-found" });
    search.value = c.search;
    find.appendChild(search);
    var found = el("span", { id: c.id + "-found", "class": "muted small", "aria-live": "polite" });
    find.appendChild(found);
    row.appendChild(find);

    var pick = el("div", { "class": "builder-field builder-wide" });
    pick.appendChild(el("label", { "for": c.id + "-feature" }, "Identifier"));
    var feature = el("select", { id: c.id + "-feature", "data-role": "feature", "aria-describedby": c.id + "-about" });
    var shown = this.fillIdentifiers(feature, c);
    if (c.search) found.textContent = shown + " match";
    pick.appendChild(feature);
    row.appendChild(pick);
    search.addEventListener("input", function () {
      c.search = search.value;
      var n = self.fillIdentifiers(feature, c);
      found.textContent = c.search ? n + " match" : "";
    });
    // The operator and values follow the identifier; the identifier's own select stays (it
    // keeps the focus and the letters typed to pick an option).
    var rest = el("div", { "class": "builder-rest" });
    row.appendChild(rest);
    var drop = el("button", { type: "button", "class": "btn btn-small", "data-role": "remove-condition",
                              "aria-label": "Remove condition " + number }, "Remove");
    drop.addEventListener("click", function () {
      parent.parts.splice(parent.parts.indexOf(c), 1);
      self.edit(true);
      var back = document.getElementById(parent.id + "-add");
      if (back) back.focus();
    });
    row.appendChild(drop);
    box.appendChild(row);
    var about = el("p", { id: c.id + "-about", "class": "builder-about muted small" });
    box.appendChild(about);

    function fillRest() {
      while (rest.firstChild) rest.removeChild(rest.firstChild);
      var ident = self.ids[c.feature];
      about.textContent = ident ? ident.name + " (" + ident.kind + (ident.window ? ", " + ident.window : "") + "): " + ident.text
                                : "Find an identifier by a word of its name or definition, then choose it.";
      if (!ident) return;
      var op = el("div", { "class": "builder-field" });
      op.appendChild(el("label", { "for": c.id + "-op" }, "Operator"));
      var ops = el("select", { id: c.id + "-op", "data-role": "op" });
      ident.ops.forEach(function (o) {
        var option = el("option", { value: o }, self.opWords[o] || o);
        if (o === c.op) option.selected = true;
        ops.appendChild(option);
      });
      ops.addEventListener("change", function () {
        var wasList = !!LISTS[c.op];
        c.op = ops.value;
        if (wasList !== !!LISTS[c.op]) { c.a = ""; c.b = ""; c.picked = []; }
        var focused = document.activeElement === ops;
        fillRest();
        if (focused) document.getElementById(c.id + "-op").focus();
        self.edit(false);
      });
      op.appendChild(ops);
      rest.appendChild(op);
      self.renderValues(c, ident, rest);
    }

    feature.addEventListener("change", function () {
      var was = self.ids[c.feature];
      c.feature = feature.value;
      var now = self.ids[c.feature];
      if (!now) c.op = "";
      else if (now.ops.indexOf(c.op) < 0) c.op = now.ops.indexOf(">=") >= 0 ? ">=" : now.ops[0];
      if (!was || !now || was.kind !== now.kind || String(was.values) !== String(now.values)) {
        c.a = ""; c.b = ""; c.picked = [];
      }
      fillRest();
      self.edit(false);
    });
    fillRest();
    return box;
  };

  Builder.prototype.renderValues = function (c, ident, row) {
    var self = this;
    if (PRESENCE[c.op]) return;
    if (LISTS[c.op] && ident.values.length) {
      var set = el("fieldset", { "class": "builder-choices", "data-role": "values" });
      set.appendChild(el("legend", {}, c.op === "in" ? "Any of these values" : "None of these values"));
      ident.values.forEach(function (v, i) {
        var id = c.id + "-v" + i;
        var label = el("label", { "for": id, "class": "builder-choice" });
        var box = el("input", { type: "checkbox", id: id, value: v });
        box.checked = c.picked.indexOf(v) >= 0;
        box.addEventListener("change", function () {
          c.picked = ident.values.filter(function (value, j) { return document.getElementById(c.id + "-v" + j).checked; });
          self.edit(false);
        });
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + v));
        set.appendChild(label);
      });
      row.appendChild(set);
      return;
    }
    if (LISTS[c.op]) {
      row.appendChild(this.input(c, "a", "Values, separated by commas", ident));
      return;
    }
    if (c.op === "between") {
      row.appendChild(this.input(c, "a", "From", ident));
      row.appendChild(this.input(c, "b", "To (inclusive)", ident));
      return;
    }
    row.appendChild(this.input(c, "a", "Value", ident));
  };

  Builder.prototype.input = function (c, key, words, ident) {
    var self = this;
    var id = c.id + "-" + key;
    var box = el("div", { "class": "builder-field" });
    var hint = HINTS[ident.kind] || "";
    if (ident.minimum !== undefined && NUMERIC[ident.kind]) hint += (hint ? ", " : "") + "at least " + ident.minimum;
    if (ident.maximum !== undefined && NUMERIC[ident.kind]) hint += ", at most " + ident.maximum;
    box.appendChild(el("label", { "for": id }, words));
    var control;
    var choices = ident.kind === "boolean" ? ["true", "false"] : ident.values;
    if (choices.length && !LISTS[c.op]) {
      control = el("select", { id: id, "data-role": "value-" + key });
      control.appendChild(el("option", { value: "" }, "Choose…"));
      choices.forEach(function (v) {
        var o = el("option", { value: v }, v);
        if (v === c[key]) o.selected = true;
        control.appendChild(o);
      });
      control.addEventListener("change", function () { c[key] = control.value; self.edit(false); });
    } else {
      control = el("input", { id: id, type: "text", autocomplete: "off", spellcheck: "false", "data-role": "value-" + key,
                              inputmode: NUMERIC[ident.kind] && !LISTS[c.op] ? "decimal" : null,
                              "aria-describedby": hint ? id + "-hint" : null });
      control.value = c[key];
      control.addEventListener("input", function () { c[key] = control.value; self.edit(false); });
    }
    box.appendChild(control);
    if (hint && control.tagName === "INPUT") box.appendChild(el("span", { id: id + "-hint", "class": "muted small" }, hint));
    return box;
  };

  window.CroupierSegmentBuilder = Builder;
})();
