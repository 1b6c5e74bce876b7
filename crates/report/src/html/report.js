// The report page's script (src/report/html/report.js): the order of the bars, the case
// filters and search, and the transcripts, unpacked from LIVECLIN_CASES_Z and drawn when
// a case is opened. Every text from the data goes into the page as text (textContent),
// never as HTML.
(function () {
  "use strict";
  var slice = function (list) { return Array.prototype.slice.call(list); };
  var STRIPE = "#f4f6f9";

  // ---- Order of the bars: every sortable chart's rows, reordered within their section.
  var ORDERS = {
    accuracy: function (a, b) { return a.acc - b.acc || b.size - a.size || a.nat - b.nat; },
    size: function (a, b) { return b.size - a.size || a.acc - b.acc || a.nat - b.nat; },
    natural: function (a, b) { return a.nat - b.nat; }
  };
  var charts = slice(document.querySelectorAll("svg.chart")).map(function (svg) {
    var stripes = svg.querySelectorAll("rect.stripe");
    return slice(svg.querySelectorAll("g.row")).map(function (g, i) {
      return {
        g: g,
        stripe: stripes[i],
        y: +g.getAttribute("data-y"),
        h: +g.getAttribute("data-h"),
        acc: +g.getAttribute("data-acc"),
        size: +g.getAttribute("data-size"),
        nat: +g.getAttribute("data-nat"),
        sec: +g.getAttribute("data-sec")
      };
    });
  }).filter(function (rows) { return rows.length > 0; });
  function orderCharts(order) {
    var compare = ORDERS[order] || ORDERS.accuracy;
    charts.forEach(function (rows) {
      var sections = [];
      rows.forEach(function (r) { (sections[r.sec] = sections[r.sec] || []).push(r); });
      var k = 0;
      sections.forEach(function (band) {
        if (!band) { return; }
        var y = Math.min.apply(null, band.map(function (r) { return r.y; }));
        band.slice().sort(compare).forEach(function (r) {
          r.y = y;
          r.g.setAttribute("transform", "translate(0 " + y.toFixed(1) + ")");
          r.g.setAttribute("data-y", y.toFixed(1));
          if (r.stripe) {
            r.stripe.setAttribute("y", y.toFixed(1));
            r.stripe.setAttribute("fill", k % 2 === 0 ? STRIPE : "none");
          }
          y += r.h;
          k += 1;
        });
      });
    });
  }
  slice(document.querySelectorAll("input[name=chart-order]")).forEach(function (radio) {
    radio.addEventListener("change", function () { if (radio.checked) { orderCharts(radio.value); } });
    // A reloaded page keeps the choice the browser restored.
    if (radio.checked && radio.value !== "accuracy") { orderCharts(radio.value); }
  });

  // ---- Cases.
  var list = document.getElementById("case-list");
  if (!list) { return; }
  var NAMES = {
    correct: "correct", wrong: "wrong", no_answer: "no answer", cut_off: "cut off",
    api_failure: "API failure", skipped: "skipped", not_run: "not run"
  };

  // The transcripts: zlib-compressed JSON in base64, unpacked once, after the page has
  // loaded or on the first need, whichever comes first.
  var packed = typeof LIVECLIN_CASES_Z === "undefined" ? "" : LIVECLIN_CASES_Z;
  var unpacking = null;
  function data() {
    if (!unpacking) {
      unpacking = new Promise(function (resolve) {
        if (typeof DecompressionStream === "undefined") {
          throw new Error("this browser cannot unpack them (it needs DecompressionStream: Chrome 80, Firefox 113, Safari 16.4 or later)");
        }
        var text = atob(packed);
        var bytes = new Uint8Array(text.length);
        for (var k = 0; k < text.length; k += 1) { bytes[k] = text.charCodeAt(k); }
        var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
        resolve(new Response(stream).text().then(JSON.parse));
      });
    }
    return unpacking;
  }
  window.addEventListener("load", function () { setTimeout(function () { data().catch(function () {}); }, 0); });

  function values(el, key) {
    try { return JSON.parse(el.getAttribute("data-" + key) || "[]"); } catch (e) { return []; }
  }
  var selects = slice(document.querySelectorAll("select[data-filter]"));
  var rows = slice(list.querySelectorAll("div.case")).map(function (el) {
    var row = {
      el: el, head: el.firstElementChild, body: null, open: false, built: false,
      i: +el.getAttribute("data-i"), differ: +(el.getAttribute("data-differ") || 0)
    };
    selects.forEach(function (s) {
      var key = s.getAttribute("data-filter");
      row[key] = values(el, key);
    });
    el._row = row;
    return row;
  });
  var search = document.getElementById("case-search");
  var differOnly = document.getElementById("differ-only");
  var table = document.getElementById("disagreements");
  var shown = document.getElementById("shown");
  var expand = document.getElementById("expand-all");
  var note = document.getElementById("open-note");
  var cap = +(expand && expand.getAttribute("data-cap")) || 50;
  var haystacks = null;

  // The text a search looks in: the case id, its title and its questions, lower-cased
  // once, on the first search.
  function haystack(c) {
    var parts = [c.id || "", c.title || ""];
    (c.turns || []).forEach(function (t) { parts.push(t.sent || t.unsent || ""); });
    return parts.join("\n").toLowerCase();
  }
  function terms() {
    return search ? search.value.toLowerCase().split(/\s+/).filter(Boolean) : [];
  }
  function apply() {
    var words = terms();
    if (words.length && !haystacks) {
      shown.textContent = "Searching…";
      data().then(function (cases) {
        haystacks = cases.map(haystack);
        apply();
      }, failed);
      return;
    }
    var n = 0;
    rows.forEach(function (r) {
      var keep = selects.every(function (s) {
        return !s.value || r[s.getAttribute("data-filter")].indexOf(s.value) >= 0;
      }) && (!differOnly || !differOnly.checked || r.differ > 0) && words.every(function (w) {
        return haystacks[r.i].indexOf(w) >= 0;
      });
      if (r.el.hidden === keep) { r.el.hidden = !keep; }
      if (keep) { n += 1; }
    });
    shown.textContent = n + " of " + rows.length + " cases shown";
    if (table) { table.hidden = !(differOnly && differOnly.checked); }
    if (expand) { expand.textContent = "Open the first " + cap + " shown"; }
    if (note) { note.textContent = ""; }
  }
  function failed(error) {
    shown.textContent = "The transcripts could not be unpacked: " + (error && error.message || error);
  }
  selects.forEach(function (s) { s.addEventListener("change", apply); });
  if (differOnly) { differOnly.addEventListener("change", apply); }
  if (search) {
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(apply, 150);
    });
    search.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { clearTimeout(timer); apply(); }
    });
  }

  // ---- A transcript, drawn once, when its case is first opened.
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) { node.className = cls; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }
  function answer(parent, value) {
    if (value === undefined || value === null || value === "") {
      parent.appendChild(el("span", "none", "none"));
    } else {
      parent.appendChild(el("b", null, value));
    }
  }
  function pictures(parent, list) {
    if (!list || !list.length) { return; }
    var ul = el("ul", "pics");
    list.forEach(function (p) {
      var li = el("li", null, "Picture: ");
      li.appendChild(el("code", null, p.file || p.url || ""));
      if (p.how) { li.appendChild(el("span", "how", "(" + p.how + ")")); }
      ul.appendChild(li);
    });
    parent.appendChild(ul);
  }
  function turn(t) {
    var li = el("li", "turn" + (t.differ ? " differ" : ""));
    var head = el("div", "turn-head");
    head.appendChild(el("span", "q", "Q" + t.q));
    head.appendChild(el("span", "stage", t.stage || ""));
    head.appendChild(el("span", "badge o-" + t.outcome, NAMES[t.outcome] || t.outcome));
    if (t.differ) { head.appendChild(el("span", "badge differ", "readings differ")); }
    li.appendChild(head);
    if (t.sent !== undefined) {
      var msg = el("div", "msg user");
      msg.appendChild(el("div", "who", "Sent to the model"));
      msg.appendChild(el("pre", null, t.sent));
      pictures(msg, t.pictures);
      li.appendChild(msg);
    } else if (t.unsent !== undefined) {
      var unsent = el("div", "msg unsent");
      unsent.appendChild(el("div", "who", t.outcome === "not_run"
        ? "Not sent: this case was not run"
        : "Not sent: skipped after an earlier question of this case failed; the model never saw it"));
      var more = el("details");
      more.appendChild(el("summary", null, "The text this turn would have sent"));
      more.appendChild(el("pre", null, t.unsent));
      pictures(more, t.pictures);
      unsent.appendChild(more);
      li.appendChild(unsent);
    } else if (t.missing) {
      li.appendChild(el("p", "note warn", "This question is not in the dataset's case."));
    }
    if (t.outcome === "not_run") { return li; }
    if (t.outcome !== "skipped") {
      var reply = el("div", "msg model" + (t.reply ? "" : " empty"));
      reply.appendChild(el("div", "who", "Model reply"));
      if (t.reply) {
        reply.appendChild(el("pre", null, t.reply));
      } else {
        reply.appendChild(el("p", null, t.outcome === "api_failure" ? "(none: the request failed)" : "(none)"));
      }
      li.appendChild(reply);
    }
    if (t.reasoning) {
      var r = el("details", "reasoning");
      r.appendChild(el("summary", null, "Reasoning returned separately (" + t.reasoning.length + " characters)"));
      r.appendChild(el("pre", null, t.reasoning));
      li.appendChild(r);
    }
    var dl = el("dl", "verdict");
    var robust = t.robust !== undefined;
    dl.appendChild(el("dt", null, robust ? "Official reading" : "Answer read"));
    var dd = el("dd");
    answer(dd, t.read);
    if (t.rule) { dd.appendChild(el("span", "rule", " (" + t.rule + ")")); }
    dl.appendChild(dd);
    if (robust) {
      dl.appendChild(el("dt", null, "Robust reading"));
      dd = el("dd");
      answer(dd, t.robust);
      if (t.robust_rule) { dd.appendChild(el("span", "rule", " (" + t.robust_rule + ")")); }
      dl.appendChild(dd);
    }
    dl.appendChild(el("dt", null, "Correct answer"));
    dd = el("dd");
    answer(dd, t.correct);
    dl.appendChild(dd);
    if (t.finish) {
      dl.appendChild(el("dt", null, "Finish reason"));
      dl.appendChild(el("dd", null, t.finish));
    }
    if (t.error !== undefined) {
      dl.appendChild(el("dt", null, "Error"));
      dl.appendChild(el("dd", "error", t.error));
    }
    li.appendChild(dl);
    return li;
  }
  function build(row) {
    if (row.built) { return; }
    row.built = true;
    row.body = el("div", "case-body", "Unpacking the transcripts…");
    row.el.appendChild(row.body);
    data().then(function (cases) {
      var c = cases[row.i];
      row.body.textContent = "";
      if (!c) { return; }
      var meta = el("dl", "case-meta");
      (c.meta || []).forEach(function (kv) {
        meta.appendChild(el("dt", null, kv[0]));
        meta.appendChild(el("dd", null, kv[1]));
      });
      row.body.appendChild(meta);
      if (c.note) { row.body.appendChild(el("p", "note warn", c.note)); }
      var ol = el("ol", "turns");
      (c.turns || []).forEach(function (t) { ol.appendChild(turn(t)); });
      row.body.appendChild(ol);
    }, function (error) {
      row.body.textContent = "The transcript could not be unpacked: " + (error && error.message || error);
    });
  }
  function setOpen(row, open) {
    row.open = open;
    row.el.classList.toggle("open", open);
    row.head.setAttribute("aria-expanded", open ? "true" : "false");
    if (open) { build(row); }
    if (row.body) { row.body.hidden = !open; }
  }
  list.addEventListener("click", function (e) {
    var head = e.target.closest && e.target.closest(".case-head");
    if (head && head.parentNode._row) { setOpen(head.parentNode._row, !head.parentNode._row.open); }
  });
  list.addEventListener("keydown", function (e) {
    if ((e.key === "Enter" || e.key === " ") && e.target.classList.contains("case-head")) {
      e.preventDefault();
      setOpen(e.target.parentNode._row, !e.target.parentNode._row.open);
    }
  });

  // ---- Open and close: at most `cap` cases at a time, so no click draws thousands.
  if (expand) {
    expand.addEventListener("click", function () {
      var closed = rows.filter(function (r) { return !r.el.hidden && !r.open; });
      var batch = closed.slice(0, cap);
      batch.forEach(function (r) { setOpen(r, true); });
      var left = closed.length - batch.length;
      if (!batch.length) {
        note.textContent = "Every case shown is already open.";
      } else if (left > 0) {
        note.textContent = "Opened " + batch.length + "; " + left + " more shown case" + (left === 1 ? " is" : "s are") +
          " still closed. Narrow the filters, or open the next " + Math.min(cap, left) + ".";
        expand.textContent = "Open the next " + Math.min(cap, left) + " shown";
      } else {
        note.textContent = "Opened " + batch.length + "; every case shown is open.";
        expand.textContent = "Open the first " + cap + " shown";
      }
    });
  }
  var collapse = document.getElementById("collapse-all");
  if (collapse) {
    collapse.addEventListener("click", function () {
      rows.forEach(function (r) { if (r.open) { setOpen(r, false); } });
      if (expand) { expand.textContent = "Open the first " + cap + " shown"; }
      if (note) { note.textContent = ""; }
    });
  }

  // ---- Links to a case (#case-ID): shown (filters reset if they hide it) and opened.
  function reset() {
    selects.forEach(function (s) { s.selectedIndex = 0; });
    if (search) { search.value = ""; }
    if (differOnly) { differOnly.checked = false; }
    apply();
  }
  function showHash() {
    var id;
    try { id = decodeURIComponent(location.hash.slice(1)); } catch (e) { return; }
    if (id.indexOf("case-") !== 0) { return; }
    var target = document.getElementById(id);
    if (!target || !target._row) { return; }
    if (target.hidden) {
      reset();
      var caseSelect = document.querySelector("select[data-filter=case]");
      if (target.hidden && caseSelect) {
        // A case that did not run: shown with the others that did not.
        caseSelect.value = "not_run";
        apply();
      }
    }
    setOpen(target._row, true);
    target.scrollIntoView();
  }
  window.addEventListener("hashchange", showHash);
  document.addEventListener("click", function (e) {
    var a = e.target.closest && e.target.closest("a[href^='#case-']");
    if (a && a.getAttribute("href") === location.hash) { showHash(); }
  });
  var showDiffer = document.getElementById("show-differ");
  if (showDiffer && differOnly) {
    showDiffer.addEventListener("click", function (e) {
      e.preventDefault();
      differOnly.checked = true;
      apply();
      (table || list).scrollIntoView();
    });
  }
  apply();
  showHash();
})();
