// Small progressive enhancements. Every page works without this file.
(function () {
  "use strict";
  // After htmx replaced a result region, tell screen-reader users what changed: the region's
  // data-announce element (if any) is copied into the page's polite live region.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target) { return; }
    var summary = target.querySelector("[data-announce]");
    var live = document.getElementById("kompass-live-region");
    if (summary && live) { live.textContent = summary.textContent.trim(); }
  });
  // Filter forms marked data-autosubmit submit on change of a select or checkbox when JS is on;
  // their submit button stays for everyone else.
  document.addEventListener("change", function (event) {
    var form = event.target.closest("form[data-autosubmit]");
    if (form && event.target.matches("select, input[type=checkbox], input[type=radio]")) {
      form.requestSubmit();
    }
  });
})();
