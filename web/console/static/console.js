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
      });
    }
    document.querySelectorAll("form").forEach(function (f) {
      // One click, one post: a double click must not send a reply twice.
      f.addEventListener("submit", function (e) {
        if (e.defaultPrevented) { return; }
        f.querySelectorAll("button").forEach(function (b) { setTimeout(function () { b.disabled = true; }, 0); });
      });
    });
  });
})();
