// The knowledge base page's upload: the file goes as the request body with
// the session's CSRF token in a header, since the console takes no
// multipart forms (they would be written to disk before any check).
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("kb-upload");
    if (!form) { return; }
    var problem = document.getElementById("kb-problem");
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var file = form.querySelector("input[type=file]").files[0];
      var buttons = form.querySelectorAll("button");
      var again = function () { setTimeout(function () { buttons.forEach(function (b) { b.disabled = false; }); }, 0); };
      if (!file) { again(); return; }
      problem.hidden = true;
      fetch(form.getAttribute("data-action") + "?name=" + encodeURIComponent(file.name), {
        method: "POST", body: file, credentials: "same-origin",
        headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": document.body.getAttribute("data-csrf") }
      }).then(function (r) {
        if (r.ok) { window.location.href = r.url; return; }
        return r.text().then(function (t) { problem.textContent = t; problem.hidden = false; again(); });
      }).catch(function (err) { problem.textContent = String(err); problem.hidden = false; again(); });
    });
  });
})();
