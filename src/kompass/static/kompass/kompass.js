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
    // A swap that removed the focused element (e.g. a pagination link) would drop keyboard users
    // back to the top of the page: continue from the new results' heading instead.
    var active = document.activeElement;
    if (!active || active === document.body || !document.body.contains(active)) {
      var heading = target.querySelector("h1, h2, h3, [data-focus-after-swap]");
      if (heading) {
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      }
    }
  });
  // A search form fires on submit, on the search field's "search" event and after typing stops,
  // so one Enter can send the same query up to three times. Each answer would replace the results
  // again, and with them the link a keyboard user has already tabbed to. So a filter form's request
  // for exactly what its results region shows (or is loading) is dropped. A failed request is
  // forgotten so that trying again works, and any change made on the page (a request other than
  // GET, e.g. an inline edit) forgets them all: the same query may now show something else.
  var shown = new WeakMap();
  function queryKey(config) {
    return config.path + "?" + new URLSearchParams(config.formData).toString();
  }
  document.addEventListener("htmx:configRequest", function (event) {
    var config = event.detail;
    if (config.verb !== "get" || !config.target) { return; }
    var key = queryKey(config);
    if (config.elt.matches("form[data-autosubmit]") && shown.get(config.target) === key) {
      event.preventDefault();
      return;
    }
    shown.set(config.target, key);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    var config = event.detail.requestConfig;
    if (!config) { return; }
    if (config.verb !== "get") {
      shown = new WeakMap();
    } else if (!event.detail.successful && config.target &&
               shown.get(config.target) === queryKey(config)) {
      shown.delete(config.target);
    }
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
