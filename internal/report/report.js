// modeltool report: sorting, exact digits, filtering, roofline tooltips. The page is
// complete without this script; it only adds interaction. No network, no globals.
(function () {
  "use strict";

  var table = document.getElementById("layers");
  if (!table) return;
  var tbody = table.tBodies[0];

  // Compare two exact decimals ("123", "-0.5", "0.002222583") without floats, so figures of
  // any size sort exactly. An empty value ("no intensity") sorts below every number.
  function cmpDecimal(a, b) {
    if (a === b) return 0;
    if (a === "") return -1;
    if (b === "") return 1;
    var na = a.charAt(0) === "-", nb = b.charAt(0) === "-";
    if (na !== nb) return na ? -1 : 1;
    var r = cmpAbs(na ? a.slice(1) : a, nb ? b.slice(1) : b);
    return na ? -r : r;
  }
  function cmpAbs(a, b) {
    var pa = a.split("."), pb = b.split(".");
    var ia = pa[0].replace(/^0+(?=\d)/, ""), ib = pb[0].replace(/^0+(?=\d)/, "");
    if (ia.length !== ib.length) return ia.length < ib.length ? -1 : 1;
    if (ia !== ib) return ia < ib ? -1 : 1;
    var fa = pa[1] || "", fb = pb[1] || "";
    while (fa.length < fb.length) fa += "0";
    while (fb.length < fa.length) fb += "0";
    return fa < fb ? -1 : fa > fb ? 1 : 0;
  }
  function cmpText(a, b) {
    return a.localeCompare(b, "en", { numeric: true, sensitivity: "base" });
  }

  // Sorting: a click on a column header sorts by it; a second click reverses. Numbers start
  // largest first, text A to Z. Ties keep the order of the model file.
  var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
  var sortState = { col: -1, dir: 0 };
  headers.forEach(function (th, col) {
    // A span with the role of a button, not a <button>: Chromium leaves form controls out of
    // the table header that it repeats on each printed page.
    var btn = document.createElement("span");
    btn.className = "sort";
    btn.setAttribute("role", "button");
    btn.tabIndex = 0;
    while (th.firstChild) btn.appendChild(th.firstChild);
    th.appendChild(btn);
    function activate() {
      var numeric = th.classList.contains("num");
      var dir;
      if (sortState.col === col) dir = -sortState.dir;
      else dir = numeric && th.getAttribute("data-key") !== "index" ? -1 : 1;
      sortBy(col, dir, numeric);
    }
    btn.addEventListener("click", activate);
    btn.addEventListener("keydown", function (evt) {
      if (evt.key === "Enter" || evt.key === " ") {
        evt.preventDefault();
        activate();
      }
    });
  });
  function sortBy(col, dir, numeric) {
    var rows = Array.prototype.slice.call(tbody.rows);
    var keyed = rows.map(function (tr) {
      return { tr: tr, key: tr.cells[col].getAttribute("data-sort") || "", index: +tr.getAttribute("data-row") };
    });
    var cmp = numeric ? cmpDecimal : cmpText;
    keyed.sort(function (x, y) {
      return dir * cmp(x.key, y.key) || x.index - y.index;
    });
    var frag = document.createDocumentFragment();
    keyed.forEach(function (k) { frag.appendChild(k.tr); });
    tbody.appendChild(frag);
    headers.forEach(function (th) { th.removeAttribute("aria-sort"); });
    headers[col].setAttribute("aria-sort", dir > 0 ? "ascending" : "descending");
    sortState = { col: col, dir: dir };
  }

  // Controls: filter, exact digits, download the figures as JSON.
  var controls = document.getElementById("controls");
  if (controls) controls.hidden = false;
  var total = tbody.rows.length;
  var countNote = document.getElementById("row-count");
  var filter = document.getElementById("filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      var shown = 0;
      Array.prototype.forEach.call(tbody.rows, function (tr) {
        var text = [tr.cells[1], tr.cells[2]].map(function (c) {
          return (c.getAttribute("data-sort") || "") + " " + (c.getAttribute("title") || "");
        }).join(" ").toLowerCase();
        var match = q === "" || text.indexOf(q) >= 0;
        tr.hidden = !match;
        if (match) shown++;
      });
      if (countNote) countNote.textContent = q === "" ? total + " layers" : shown + " of " + total + " layers";
    });
  }
  var exact = document.getElementById("exact-toggle");
  if (exact) {
    exact.addEventListener("change", function () {
      table.classList.toggle("exact", exact.checked);
    });
  }
  var download = document.getElementById("download-json");
  var data = document.getElementById("modeltool-data");
  if (download && data) {
    download.addEventListener("click", function () {
      var blob = new Blob([data.textContent], { type: "application/json" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      var id = "";
      try { id = modeltoolJSON.parse(data.textContent).model_id || ""; } catch (e) { id = ""; }
      a.download = (id.replace(/[^A-Za-z0-9._-]+/g, "_") || "model") + ".figures.json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });
  }

  // Roofline: a tooltip that lists every layer under the pointer (layers often coincide),
  // and hover links between points and table rows.
  var svg = document.getElementById("roofline");
  var tooltip = document.getElementById("tooltip");
  function rowOf(n) { return tbody.querySelector('tr[data-row="' + n + '"]'); }
  if (svg && tooltip) {
    var marks = Array.prototype.slice.call(svg.querySelectorAll(".pt, .model-pt"));
    marks.forEach(function (el) {
      var t = el.querySelector("title");
      if (t) {
        el.setAttribute("data-tip", t.textContent);
        el.removeChild(t); // our tooltip replaces the browser's
      }
    });
    var points = marks.filter(function (el) { return el.classList.contains("pt"); });
    var wrap = svg.parentNode;
    var lit = [];
    function light(rows) {
      lit.forEach(function (el) { el.classList.remove("hl"); });
      lit = [];
      rows.forEach(function (n) {
        var tr = rowOf(n);
        if (tr) { tr.classList.add("hl"); lit.push(tr); }
        points.forEach(function (p) {
          if (p.getAttribute("data-row") === String(n)) { p.classList.add("hl"); lit.push(p); }
        });
      });
    }
    function under(evt) {
      var ctm = svg.getScreenCTM();
      if (!ctm) return [];
      var pt = svg.createSVGPoint();
      pt.x = evt.clientX; pt.y = evt.clientY;
      var p = pt.matrixTransform(ctm.inverse());
      return marks.filter(function (el) {
        if (el.classList.contains("model-pt")) return el === evt.target;
        var dx = +el.getAttribute("cx") - p.x, dy = +el.getAttribute("cy") - p.y;
        var r = +el.getAttribute("r") + 1;
        return dx * dx + dy * dy <= r * r;
      });
    }
    svg.addEventListener("mousemove", function (evt) {
      var hits = under(evt);
      if (hits.length === 0) { tooltip.hidden = true; light([]); return; }
      tooltip.textContent = "";
      hits.slice(0, 8).forEach(function (el) {
        var item = document.createElement("div");
        item.className = "tip-item";
        var lines = (el.getAttribute("data-tip") || "").split("\n");
        var head = document.createElement("div");
        head.className = "tip-path";
        head.textContent = lines[0];
        item.appendChild(head);
        var rest = document.createElement("div");
        // Several layers at one place: the path and the time of each; one or two: everything.
        rest.textContent = (hits.length > 2 ? lines.slice(-1) : lines.slice(1)).join("\n");
        item.appendChild(rest);
        tooltip.appendChild(item);
      });
      if (hits.length > 8) {
        var more = document.createElement("div");
        more.className = "tip-item";
        more.textContent = "… and " + (hits.length - 8) + " more";
        tooltip.appendChild(more);
      }
      tooltip.hidden = false;
      var box = wrap.getBoundingClientRect();
      var x = evt.clientX - box.left + 14, y = evt.clientY - box.top + 14;
      if (x + tooltip.offsetWidth > box.width) x = Math.max(0, evt.clientX - box.left - tooltip.offsetWidth - 14);
      tooltip.style.left = x + "px";
      tooltip.style.top = y + "px";
      light(hits.map(function (el) { return el.getAttribute("data-row"); }).filter(Boolean));
    });
    svg.addEventListener("mouseleave", function () { tooltip.hidden = true; light([]); });
    svg.addEventListener("click", function (evt) {
      var hits = under(evt).filter(function (el) { return el.hasAttribute("data-row"); });
      if (hits.length === 0) return;
      var tr = rowOf(hits[0].getAttribute("data-row"));
      if (!tr) return;
      tr.scrollIntoView({ block: "center", behavior: "smooth" });
      tr.classList.remove("flash");
      void tr.offsetWidth;
      tr.classList.add("flash");
    });
    tbody.addEventListener("mouseover", function (evt) {
      var tr = evt.target.closest ? evt.target.closest("tr") : null;
      if (!tr) return;
      points.forEach(function (p) {
        p.classList.toggle("hl", p.getAttribute("data-row") === tr.getAttribute("data-row"));
      });
    });
    tbody.addEventListener("mouseleave", function () {
      points.forEach(function (p) { p.classList.remove("hl"); });
    });
  }

  document.documentElement.setAttribute("data-ready", "true");
})();
