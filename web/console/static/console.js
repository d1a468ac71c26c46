// acuerdo operator console: the little script the pages need, written by hand
// so there is no build step and nothing loads from elsewhere. Everything works
// without it; it only keeps pages fresh and asks before destructive actions.
(function () {
  "use strict";

  function fetchHTML(url) {
    return fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } }).then(function (r) {
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.text();
    });
  }

  function nearBottom(el) { return el.scrollHeight - el.scrollTop - el.clientHeight < 80; }

  // A conversation appends the messages that arrived since the newest one on
  // screen. The server renders (and escapes) them; this only inserts them.
  function pollThread(el) {
    var url = el.getAttribute("data-poll");
    var every = (parseInt(el.getAttribute("data-every"), 10) || 3) * 1000;
    el.scrollTop = el.scrollHeight;
    if (!url) { return; }
    var busy = false;
    setInterval(function () {
      if (busy || document.hidden) { return; }
      busy = true;
      fetchHTML(url + "?after=" + encodeURIComponent(el.getAttribute("data-after") || "0")).then(function (html) {
        busy = false;
        if (!html.trim()) { return; }
        var stick = nearBottom(el);
        el.insertAdjacentHTML("beforeend", html);
        var ids = el.querySelectorAll("[data-id]");
        el.setAttribute("data-after", ids[ids.length - 1].getAttribute("data-id"));
        if (stick) { el.scrollTop = el.scrollHeight; }
      }, function () { busy = false; });
    }, every);
  }

  // A list (the inbox) is replaced wholesale with its fresh rows.
  function refreshList(el) {
    var url = el.getAttribute("data-refresh");
    var every = (parseInt(el.getAttribute("data-every"), 10) || 10) * 1000;
    setInterval(function () {
      if (document.hidden) { return; }
      fetchHTML(url).then(function (html) { el.innerHTML = html; }, function () {});
    }, every);
  }

  // insertAtCursor puts text where the cursor is in a textarea.
  function insertAtCursor(el, text) {
    var s = el.selectionStart || 0, e = el.selectionEnd || 0;
    el.value = el.value.slice(0, s) + text + el.value.slice(e);
    el.selectionStart = el.selectionEnd = s + text.length;
  }

  // expandCanned replaces a "/shortcut" just typed with its canned response.
  function expandCanned(el) {
    var sel = document.getElementById("canned");
    if (!sel) { return false; }
    var upto = el.value.slice(0, el.selectionStart);
    var m = /(^|\s)\/([a-z0-9_-]+)$/.exec(upto);
    if (!m) { return false; }
    for (var i = 0; i < sel.options.length; i++) {
      var o = sel.options[i];
      if (o.getAttribute("data-shortcut") === m[2]) {
        var start = upto.length - m[2].length - 1;
        el.selectionStart = start;
        insertAtCursor(el, o.value);
        return true;
      }
    }
    return false;
  }

  var pendingG = false;
  // shortcut handles the console's keys outside text fields.
  function shortcut(e) {
    var t = e.target;
    if (e.ctrlKey || e.metaKey || e.altKey) { return; }
    if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable)) {
      if (e.key === "Escape") { t.blur(); }
      return;
    }
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
    var cur = rows.indexOf(document.activeElement);
    var focus = function (el) { if (el) { el.focus(); el.scrollIntoView({ block: "nearest" }); } };
    var click = function (id) { var el = document.getElementById(id); if (el) { el.click(); return true; } return false; };
    if (pendingG) {
      pendingG = false;
      if (e.key === "i") { window.location.href = "/console/inbox"; }
      return;
    }
    switch (e.key) {
      case "j": focus(rows[Math.min(cur + 1, rows.length - 1)]); break;
      case "k": focus(rows[Math.max(cur - 1, 0)]); break;
      case "Enter":
        if (cur >= 0) { var a = rows[cur].querySelector("a.who"); if (a) { window.location.href = a.href; } }
        return;
      case "/": var q = document.querySelector("input[name=q]"); if (q) { q.focus(); } else { return; } break;
      case "g": pendingG = true; break;
      case "c": if (!click("claim")) { return; } break;
      case "r": focus(document.getElementById("reply")); break;
      case "n": focus(document.getElementById("note")); break;
      case "?": var h = document.getElementById("shortcuts"); if (h) { h.showModal(); } break;
      default: return;
    }
    e.preventDefault();
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-poll]").forEach(pollThread);
    document.querySelectorAll("[data-refresh]").forEach(refreshList);
    document.querySelectorAll("form[data-confirm]").forEach(function (f) {
      f.addEventListener("submit", function (e) {
        if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); }
      });
    });
    var reply = document.getElementById("reply");
    if (reply) {
      reply.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); reply.form.requestSubmit(); }
        if (e.key === "Tab" && !e.shiftKey && expandCanned(reply)) { e.preventDefault(); }
      });
    }
    var note = document.getElementById("note");
    if (note) {
      note.addEventListener("keydown", function (e) {
        if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); note.form.requestSubmit(); }
      });
    }
    var canned = document.getElementById("canned");
    if (canned && reply) {
      canned.addEventListener("change", function () {
        if (canned.value) { insertAtCursor(reply, canned.value); canned.value = ""; reply.focus(); }
      });
    }
    var help = document.getElementById("shortcuts");
    var helpOpen = document.getElementById("shortcuts-open");
    if (help && helpOpen) { helpOpen.addEventListener("click", function () { help.showModal(); }); }
    document.addEventListener("keydown", shortcut);
    document.querySelectorAll("form").forEach(function (f) {
      // One click, one post: a double click must not send a reply twice.
      f.addEventListener("submit", function (e) {
        if (e.defaultPrevented) { return; }
        f.querySelectorAll("button").forEach(function (b) { setTimeout(function () { b.disabled = true; }, 0); });
      });
    });
  });
})();
