// modeltool serve: the controls, the address bar as the state, the totals from /api/calc (read
// with modeltoolJSON.parse, so no figure loses a digit) and the report of the same settings
// (/report, which is calc --format html) in the frame below. Everything is computed on the
// server; this script only asks and shows.
(function () {
  "use strict";

  var root = document.documentElement;
  var form = document.getElementById("controls");
  var modelSelect = document.getElementById("model");
  var summary = document.getElementById("summary");
  var errorBox = document.getElementById("error");
  var frame = document.getElementById("report");
  var jsonLink = document.getElementById("json-link");
  var reportLink = document.getElementById("report-link");
  var commandLine = document.getElementById("command");
  var params = [];
  var inputs = {};
  var seq = 0;
  var timer = 0;

  root.setAttribute("data-state", "loading");

  function el(tag, attrs, text) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // Digits grouped by thousands, from an exact decimal string.
  function grouped(s) {
    var neg = s.charAt(0) === "-";
    if (neg) s = s.slice(1);
    var parts = s.split(".");
    var int = parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",");
    return (neg ? "-" : "") + int + (parts.length > 1 ? "." + parts[1] : "");
  }

  // A readable figure (28.17 T) from an exact decimal string, computed on the digits, so
  // figures beyond 2^53 are shown right. Only an integer part is scaled; below 1000 the
  // value is shown with at most two decimals.
  var PREFIXES = ["", " k", " M", " G", " T", " P", " E", " Z", " Y", " R", " Q"];
  var COUNTS = ["", " k", " M", " B", " T", " P", " E", " Z", " Y", " R", " Q"];
  function human(s, unit, prefixes) {
    prefixes = prefixes || PREFIXES;
    if (s === undefined || s === null) return "—";
    var neg = s.charAt(0) === "-";
    if (neg) s = s.slice(1);
    var parts = s.split(".");
    var int = parts[0].replace(/^0+(?=\d)/, "");
    var frac = parts[1] || "";
    var out;
    if (int.length <= 3) {
      out = int + (frac ? "." + frac.slice(0, 2).replace(/0+$/, "") : "");
      out = out.replace(/\.$/, "");
      out += unit ? " " + unit : "";
    } else {
      var group = Math.min(Math.floor((int.length - 1) / 3), prefixes.length - 1);
      var lead = int.length - 3 * group;
      var digits = BigInt(int.slice(0, lead + 2) || "0");
      var next = int.length > lead + 2 ? int.charAt(lead + 2) : "0";
      if (next >= "5") digits += 1n;
      var d = digits.toString();
      out = d.slice(0, d.length - 2) + "." + d.slice(d.length - 2);
      out += prefixes[group] + (unit || "");
    }
    return (neg ? "-" : "") + out;
  }

  // A time in seconds (an exact decimal) in s, ms or µs.
  function duration(s) {
    if (s === undefined || s === null) return "—";
    var x = Number(s);
    if (x >= 1) return x.toPrecision(4) + " s";
    if (x >= 1e-3) return (x * 1e3).toPrecision(4) + " ms";
    return (x * 1e6).toPrecision(4) + " µs";
  }

  function card(id, label, value, exact, cls) {
    var c = el("div", { "class": "card" + (cls ? " " + cls : ""), id: id });
    c.appendChild(el("div", { "class": "label" }, label));
    var v = el("div", { "class": "value" }, value);
    c.appendChild(v);
    if (exact !== undefined) {
      c.setAttribute("data-exact", exact);
      c.appendChild(el("div", { "class": "exact" }, grouped(exact)));
    }
    return c;
  }

  function render(doc) {
    var t = doc.totals || {};
    var cards = [
      card("total-params", "Parameters", human(t.params, "", COUNTS), t.params),
    ];
    if (t.active_params !== undefined && t.active_params !== t.params) {
      cards.push(card("total-active-params", "Active parameters", human(t.active_params, "", COUNTS), t.active_params));
    }
    cards.push(
      card("total-flops", "FLOPs", human(t.flops, "FLOP"), t.flops),
      card("total-bytes-read", "Bytes read", human(t.bytes_read, "B"), t.bytes_read),
      card("total-bytes-written", "Bytes written", human(t.bytes_written, "B"), t.bytes_written),
      card("total-kv-cache", "KV cache", human(t.kv_cache_bytes, "B"), t.kv_cache_bytes)
    );
    if (t.comm_bytes !== undefined && t.comm_bytes !== "0") {
      cards.push(card("total-comm", "Communication", human(t.comm_bytes, "B"), t.comm_bytes));
    }
    if (t.roofline) {
      cards.push(card("total-time", "Time bound", duration(t.roofline.seconds), t.roofline.seconds));
    }
    if (doc.memory) {
      var m = doc.memory;
      var fits = m.fits === true;
      cards.push(card("memory-fit", "Memory per device", human(m.total, "B") + " of " + human(m.capacity, "B"), m.total, fits ? "good card-wide" : "bad card-wide"));
      var note = el("div", { "class": "exact" }, (fits ? "fits" : "does not fit") + " · weights " + human(m.weights, "B") +
        " · KV " + human(m.kv_cache, "B") + " · activations " + human(m.activations, "B"));
      cards[cards.length - 1].appendChild(note);
    }
    if (doc.generation) {
      var g = doc.generation;
      cards.push(card("generation-ttft", "Time to first token", duration(g.ttft_seconds), g.ttft_seconds));
      cards.push(card("generation-tpot", "Time per output token", duration(g.tpot_seconds), g.tpot_seconds));
      if (g.tokens_per_second !== undefined) {
        cards.push(card("generation-tps", "Tokens per second", human(g.tokens_per_second), g.tokens_per_second));
      }
    }
    summary.textContent = "";
    cards.forEach(function (c) { summary.appendChild(c); });
    // The file's values of the settings left empty, as placeholders.
    var vars = doc.variables || {};
    params.forEach(function (p) {
      var input = inputs[p.key];
      if (!p.choices && vars[p.key] !== undefined) input.placeholder = vars[p.key];
    });
  }

  function query() {
    var q = new URLSearchParams();
    q.set("model", modelSelect.value);
    params.forEach(function (p) {
      var v = inputs[p.key].value.trim();
      if (v !== "") q.set(p.key, v);
    });
    return q.toString();
  }

  function showError(msg) {
    errorBox.textContent = msg;
    errorBox.hidden = false;
    root.setAttribute("data-state", "error");
  }

  function update() {
    var qs = query();
    var my = ++seq;
    history.replaceState(null, "", "?" + qs);
    root.setAttribute("data-state", "busy");
    jsonLink.href = "/api/calc?" + qs;
    reportLink.href = "/report?" + qs;
    var flags = [];
    params.forEach(function (p) {
      var v = inputs[p.key].value.trim();
      if (v !== "") flags.push(p.flag + " " + v);
    });
    commandLine.textContent = "modeltool calc " + flags.concat([modelSelect.value + ".json"]).join(" ");
    fetch("/api/calc?" + qs).then(function (res) {
      return res.text().then(function (text) { return { res: res, text: text }; });
    }).then(function (r) {
      if (my !== seq) return;
      var doc;
      try { doc = modeltoolJSON.parse(r.text); } catch (e) { doc = null; }
      if (!r.res.ok) {
        var msg = doc && doc.error ? doc.error : "HTTP " + r.res.status;
        if (doc && doc.diagnostics) {
          msg = doc.diagnostics.map(function (d) { return d.file + ":" + d.line + ":" + d.column + ": " + d.message; }).join("\n");
        }
        showError(msg);
        return;
      }
      if (!doc) { showError("the server's answer is not JSON"); return; }
      errorBox.hidden = true;
      render(doc);
      frame.onload = function () {
        if (my !== seq) return;
        try {
          var h = frame.contentDocument.documentElement.scrollHeight;
          frame.style.height = (h + 20) + "px";
        } catch (e) { /* another origin: keep the height */ }
        root.setAttribute("data-query", qs);
        root.setAttribute("data-state", "ready");
      };
      frame.src = "/report?" + qs;
    }).catch(function (e) {
      if (my === seq) showError("the server did not answer: " + e.message);
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(update, 150);
  }

  function build(info) {
    var start = new URLSearchParams(location.search);
    info.models.forEach(function (name) {
      modelSelect.appendChild(el("option", { value: name }, name));
    });
    if (start.get("model") && info.models.indexOf(start.get("model")) >= 0) modelSelect.value = start.get("model");
    params = info.params;
    params.forEach(function (p) {
      var small = /^(tp|pp|ep|dp)$/.test(p.key);
      var label = el("label", { "class": "field" + (small ? " field-small" : ""), title: p.help }, p.label);
      var input;
      if (p.choices) {
        input = el("select", { id: p.key, name: p.key });
        input.appendChild(el("option", { value: "" }, p.key === "hardware" ? "none" : "file default"));
        p.choices.forEach(function (c) { input.appendChild(el("option", { value: c }, c)); });
      } else {
        input = el("input", { id: p.key, name: p.key, type: "text", inputmode: "numeric", spellcheck: "false" });
        if (p.key === "generate") input.setAttribute("pattern", "[0-9]+:[0-9]+");
        else input.setAttribute("pattern", "[0-9]+");
        if (small) input.placeholder = "1";
      }
      var v = start.get(p.key);
      if (v !== null) input.value = v;
      label.appendChild(input);
      form.appendChild(label);
      inputs[p.key] = input;
    });
    form.addEventListener("input", schedule);
    form.addEventListener("change", schedule);
    form.addEventListener("submit", function (e) { e.preventDefault(); update(); });
    update();
  }

  fetch("/api/models").then(function (res) { return res.text(); }).then(function (text) {
    build(modeltoolJSON.parse(text));
  }).catch(function (e) { showError("could not load the models: " + e.message); });
})();
