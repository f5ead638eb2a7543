// The translate and review pages beside the draft: scroll sync between the source pane and
// the editor, per-paragraph marks, jumping to a check's line, and the typography autofix.
// Everything it knows comes from the server: #alignment-data holds the map computed from the
// quality engine's alignment (workflow/editor.py); the page works without this file.
(function () {
  "use strict";

  var map = { pairs: [], untranslated: [], changed: [], changedSource: [] };
  var lineTops = null;      // y of each textarea line (0-based index), in the textarea's content box
  var driver = null;        // "source" or "draft": which side the person is scrolling
  var driverUntil = 0;
  var ignoreUntil = { source: 0, draft: 0 };  // scroll events we caused ourselves, per side
  var settle = 0;
  var frame = 0;

  function $(selector) { return document.querySelector(selector); }
  function textarea() { return $("#id_text"); }
  function pane() { return $("#source-pane"); }

  function readMap() {
    var holder = $("#alignment-data");
    if (!holder) { return; }
    try {
      map = JSON.parse(holder.getAttribute("data-alignment") || "{}");
    } catch (e) {
      return;
    }
    map.pairs = (map.pairs || []).slice().sort(function (a, b) { return a[1] - b[1]; });
    markBlocks();
  }

  function markBlocks() {
    var p = pane();
    if (!p) { return; }
    var untranslated = {}, changed = {};
    (map.untranslated || []).forEach(function (i) { untranslated[i] = true; });
    (map.changedSource || []).forEach(function (i) { changed[i] = true; });
    p.querySelectorAll(".src-block").forEach(function (el) {
      var i = el.getAttribute("data-block");
      el.classList.toggle("src-untranslated", !!untranslated[i]);
      el.classList.toggle("src-changed", !!changed[i]);
    });
  }

  // --- line geometry of the textarea (a hidden mirror with the same box and font) ---

  function measureLines() {
    var ta = textarea();
    if (!ta) { lineTops = null; return; }
    var style = window.getComputedStyle(ta);
    var mirror = document.createElement("div");
    ["fontFamily", "fontSize", "fontWeight", "fontStyle", "letterSpacing", "lineHeight", "tabSize",
     "paddingTop", "paddingRight", "paddingBottom", "paddingLeft", "borderTopWidth", "borderRightWidth",
     "borderBottomWidth", "borderLeftWidth", "boxSizing", "textTransform", "wordSpacing"].forEach(function (k) {
      mirror.style[k] = style[k];
    });
    mirror.style.position = "absolute";
    mirror.style.visibility = "hidden";
    mirror.style.left = "-10000px";
    mirror.style.top = "0";
    mirror.style.whiteSpace = "pre-wrap";
    mirror.style.overflowWrap = "break-word";
    mirror.style.borderStyle = "solid";
    mirror.style.width = ta.offsetWidth + "px";
    var lines = ta.value.split("\n");
    var fragment = document.createDocumentFragment();
    lines.forEach(function (line) {
      var div = document.createElement("div");
      div.textContent = line || "\u200b";
      fragment.appendChild(div);
    });
    mirror.appendChild(fragment);
    document.body.appendChild(mirror);
    var padding = parseFloat(style.paddingTop) || 0;
    var border = parseFloat(style.borderTopWidth) || 0;
    lineTops = Array.prototype.map.call(mirror.children, function (div) {
      return div.offsetTop - padding - border;
    });
    mirror.remove();
  }

  function lineAtY(y) {  // 1-based line at content y
    if (!lineTops || !lineTops.length) { return 1; }
    var lo = 0, hi = lineTops.length - 1;
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (lineTops[mid] <= y) { lo = mid; } else { hi = mid - 1; }
    }
    return lo + 1;
  }

  function yOfLine(line) {
    if (!lineTops || !lineTops.length) { return 0; }
    return lineTops[Math.max(0, Math.min(lineTops.length - 1, line - 1))];
  }

  // The textarea may scroll itself, or (markdownx grows it) the page scrolls past it.
  function draftTopY() {
    var ta = textarea();
    var rect = ta.getBoundingClientRect();
    var padding = parseFloat(window.getComputedStyle(ta).paddingTop) || 0;
    return ta.scrollTop + Math.max(0, -rect.top) - padding;
  }

  function scrollDraftToLine(line) {
    var ta = textarea();
    if (!ta || !lineTops) { return; }
    var y = yOfLine(line);
    ignoreUntil.draft = Date.now() + 150;
    if (ta.scrollHeight > ta.clientHeight + 2) {
      ta.scrollTop = Math.max(0, y - 8);
    } else {
      var rect = ta.getBoundingClientRect();
      var padding = parseFloat(window.getComputedStyle(ta).paddingTop) || 0;
      window.scrollTo(window.scrollX, window.scrollY + rect.top + padding + y - 16);
    }
  }

  function blockElement(index) {
    var p = pane();
    return p ? p.querySelector('.src-block[data-block="' + index + '"]') : null;
  }

  function scrollSourceTo(index, fraction) {
    var p = pane(), el = blockElement(index);
    if (!p || !el) { return; }
    ignoreUntil.source = Date.now() + 150;
    if (p.scrollHeight > p.clientHeight + 2) {
      p.scrollTop = el.offsetTop + (fraction || 0) * el.offsetHeight - 4;
    } else {
      el.scrollIntoView({ block: "nearest" });
    }
  }

  function pairForLine(line) {
    var found = null;
    for (var k = 0; k < map.pairs.length; k++) {
      if (map.pairs[k][1] <= line) { found = map.pairs[k]; } else { break; }
    }
    return found;
  }

  function pairForBlock(index) {
    for (var k = 0; k < map.pairs.length; k++) {
      if (map.pairs[k][0] === index) { return map.pairs[k]; }
    }
    return null;
  }

  function markCurrent(index) {
    var p = pane();
    if (!p) { return; }
    p.querySelectorAll(".src-current").forEach(function (el) { el.classList.remove("src-current"); });
    var el = blockElement(index);
    if (el) { el.classList.add("src-current"); }
  }

  function syncFromDraft() {
    var ta = textarea();
    if (!ta || !lineTops || !map.pairs.length) { return; }
    var y = draftTopY();
    var line = lineAtY(y);
    var pair = pairForLine(line);
    if (!pair) { return; }
    var start = yOfLine(pair[1]), end = yOfLine(pair[2] + 1);
    var fraction = end > start ? Math.min(1, Math.max(0, (y - start) / (end - start))) : 0;
    scrollSourceTo(pair[0], fraction);
  }

  function syncFromSource() {
    var p = pane();
    if (!p || !textarea() || !map.pairs.length || p.scrollHeight <= p.clientHeight + 2) { return; }
    var blocks = p.querySelectorAll(".src-block");
    for (var k = 0; k < blocks.length; k++) {
      if (blocks[k].offsetTop + blocks[k].offsetHeight > p.scrollTop + 4) {
        var pair = pairForBlock(parseInt(blocks[k].getAttribute("data-block"), 10));
        if (pair) { scrollDraftToLine(pair[1]); }
        return;
      }
    }
  }

  function sideBySide() {
    return window.matchMedia("(min-width: 900px)").matches;
  }

  function sync(side) {
    if (side === "source") { syncFromSource(); } else { syncFromDraft(); }
  }

  function onScroll(side) {
    if (Date.now() < ignoreUntil[side] || !sideBySide()) { return; }
    if (driver && driver !== side && Date.now() < driverUntil) { return; }
    // once the scrolling stops, line the other side up exactly
    window.clearTimeout(settle);
    settle = window.setTimeout(function () { sync(side); }, 120);
    if (frame) { return; }
    frame = window.requestAnimationFrame(function () {
      frame = 0;
      sync(side);
    });
  }

  function claimDriver(side) {
    driver = side;
    driverUntil = Date.now() + 800;
  }

  // --- going to a check's line --------------------------------------------------------

  function goToLine(line) {
    var ta = textarea();
    if (!ta) { return false; }
    var lines = ta.value.split("\n");
    var offset = 0;
    for (var k = 0; k < Math.min(line - 1, lines.length); k++) { offset += lines[k].length + 1; }
    ta.focus({ preventScroll: true });
    ta.setSelectionRange(offset, offset + (lines[line - 1] || "").length);
    if (!lineTops) { measureLines(); }
    scrollDraftToLine(line);
    var pair = pairForLine(line);
    if (pair) { scrollSourceTo(pair[0], 0); markCurrent(pair[0]); }
    return true;
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest(".issue-goto");
    if (!link) { return; }
    var line = parseInt(link.getAttribute("data-line"), 10);
    var block = link.getAttribute("data-source-block");
    if (line && goToLine(line)) {
      event.preventDefault();
    } else if (block !== null && blockElement(block)) {
      event.preventDefault();
      scrollSourceTo(block, 0);
      markCurrent(block);
      var pair = pairForBlock(parseInt(block, 10));
      if (pair) { goToLine(pair[1]); }
    }
  });

  // --- the typography autofix: put the fixed (and saved) text into the editor ---------

  function applyAutofix() {
    var holder = document.querySelector("#draft-status [data-autofix-text]");
    var ta = textarea();
    if (!holder || !ta) { return; }
    var text = holder.getAttribute("data-autofix-text");
    holder.remove();
    if (text === null || text === ta.value) { return; }
    var position = ta.selectionStart;
    ta.value = text;
    ta.setSelectionRange(Math.min(position, text.length), Math.min(position, text.length));
    // markdownx re-renders its preview on input; the autosave stores the same text again.
    ta.dispatchEvent(new Event("input", { bubbles: true }));
  }

  // --- wiring -------------------------------------------------------------------------

  var remeasure = 0;
  function scheduleMeasure() {
    window.clearTimeout(remeasure);
    remeasure = window.setTimeout(measureLines, 250);
  }

  function init() {
    readMap();
    var ta = textarea(), p = pane();
    if (ta) {
      measureLines();
      ta.addEventListener("input", scheduleMeasure);
      ta.addEventListener("scroll", function () { onScroll("draft"); });
      ["wheel", "touchstart", "keydown", "pointerdown"].forEach(function (type) {
        ta.addEventListener(type, function () { claimDriver("draft"); }, { passive: true });
      });
      ta.addEventListener("keyup", function () {
        var line = ta.value.slice(0, ta.selectionStart).split("\n").length;
        var pair = pairForLine(line);
        if (pair) { markCurrent(pair[0]); }
      });
      window.addEventListener("scroll", function () { onScroll("draft"); }, { passive: true });
      window.addEventListener("resize", scheduleMeasure);
    }
    if (p) {
      p.addEventListener("scroll", function () { onScroll("source"); }, { passive: true });
      ["wheel", "touchstart", "pointerdown", "keydown"].forEach(function (type) {
        p.addEventListener(type, function () { claimDriver("source"); }, { passive: true });
      });
    }
    document.body.addEventListener("htmx:afterSettle", function () {
      readMap();
      applyAutofix();
    });
    document.body.addEventListener("htmx:oobAfterSwap", function () { readMap(); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
