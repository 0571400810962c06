// A "Print" button for pages meant for paper (REMS form, ledger, Form 106).
// The button stays hidden without JavaScript; the page then says to use the
// browser's print command. No inline script: the CSP forbids it.
(function () {
  "use strict";
  document.querySelectorAll("button[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
