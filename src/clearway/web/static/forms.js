/* Clearway forms: where the focus goes (no inline script: the pages' CSP allows scripts from files only).

   A page marks with `autofocus` the one element that should have the focus when it opens: the error
   summary after a refused form, the result or confirmation after a successful one. Browsers do it
   themselves on a full page and htmx does it after a swap; this repeats it where they did not (an
   older browser, a swap that kept the focus elsewhere). A link in an error summary moves the focus
   to its control, with the control's label or item legend scrolled into view above it. Without
   JavaScript the links still lead to the controls. */
(function () {
  "use strict";

  function focusMarked(root) {
    var target = root.querySelector ? root.querySelector("[autofocus]") : null;
    if (target && document.activeElement !== target) {
      target.focus();
    }
  }

  // What to scroll into view for a control: its item's legend when both fit on the screen (so
  // "Item 2" shows above "HS code"), otherwise its label, otherwise the control itself.
  function context(control) {
    var label = control.id ? document.querySelector("label[for='" + control.id.replace(/'/g, "\\'") + "']") : null;
    var fieldset = control.closest("fieldset");
    var legend = fieldset ? fieldset.querySelector("legend") : null;
    if (legend) {
      var gap = control.getBoundingClientRect().bottom - legend.getBoundingClientRect().top;
      if (gap < window.innerHeight * 0.8) {
        return legend;
      }
    }
    return label || control;
  }

  function followSummaryLink(event) {
    var link = event.target.closest ? event.target.closest(".error-summary a[href^='#']") : null;
    if (!link) {
      return;
    }
    var control = document.getElementById(decodeURIComponent(link.hash.slice(1)));
    if (!control) {
      return;
    }
    event.preventDefault();
    context(control).scrollIntoView({ block: "start" });
    control.focus({ preventScroll: true });
  }

  document.addEventListener("click", followSummaryLink);
  // A refused form (422) or a service that is not available (503) answers a page that says why:
  // htmx swaps it in like any other answer, rather than leaving the old page as it was.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422 || status === 503) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    focusMarked(event.target);
  });

  function start() {
    if (!document.activeElement || document.activeElement === document.body) {
      focusMarked(document);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
