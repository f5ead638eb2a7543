// Small progressive enhancements; every page works without JavaScript.
(function () {
  "use strict";
  // Warn before leaving an editor whose latest text has not reached the server.
  document.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-unsaved-warning]");
    if (form) { form.dataset.dirty = "1"; }
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt && event.detail.elt.closest && event.detail.elt.closest("form[data-unsaved-warning]");
    if (form && event.detail.successful) { delete form.dataset.dirty; }
  });
  document.addEventListener("submit", function (event) {
    if (event.target.matches && event.target.matches("form[data-unsaved-warning]")) { delete event.target.dataset.dirty; }
  });
  window.addEventListener("beforeunload", function (event) {
    var dirty = document.querySelector("form[data-unsaved-warning][data-dirty]");
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
