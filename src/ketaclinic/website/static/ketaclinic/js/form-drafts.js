/* Autosave drafts of staff forms, server-side, so a time-out loses nothing.
 *
 * Every <form data-draft-key="..."> is saved a couple of seconds after the person
 * stops typing, with POST to /staff/drafts/<key>/ (CSRF token in a header). The
 * page that shows the form fills it from the draft; saving the form for real
 * clears the draft on the server. Never sent: the CSRF token, password fields,
 * files. Nothing is kept in the browser's storage.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch || !window.URLSearchParams) {
    return;
  }
  var cfg = script.dataset;
  var DELAY_MS = 2000;
  var SKIPPED_TYPES = ["password", "file", "submit", "button", "reset", "image"];

  function fieldsOf(form) {
    var params = new URLSearchParams();
    Array.prototype.forEach.call(form.elements, function (el) {
      var type = (el.type || "").toLowerCase();
      if (!el.name || el.disabled || SKIPPED_TYPES.indexOf(type) !== -1) {
        return;
      }
      if (el.name === "csrfmiddlewaretoken" || /password/i.test(el.name)) {
        return;
      }
      if ((type === "checkbox" || type === "radio") && !el.checked) {
        return;
      }
      if (el.tagName === "SELECT" && el.multiple) {
        Array.prototype.forEach.call(el.options, function (option) {
          if (option.selected) {
            params.append(el.name, option.value);
          }
        });
        return;
      }
      params.append(el.name, el.value);
    });
    return params;
  }

  function setUp(form) {
    var url = cfg.draftUrl.replace(cfg.draftPlaceholder, encodeURIComponent(form.dataset.draftKey));
    var timer = null;
    var dirty = false;
    var submitted = false;
    var status = document.createElement("p");
    status.className = "muted draft-status";
    status.setAttribute("role", "status");
    form.appendChild(status);

    function save(keepalive) {
      if (timer) {
        window.clearTimeout(timer);
        timer = null;
      }
      if (!dirty || submitted) {
        return;
      }
      dirty = false;
      fetch(url, {
        method: "POST",
        body: fieldsOf(form),
        credentials: "same-origin",
        keepalive: Boolean(keepalive),
        headers: { "X-CSRFToken": cfg.csrfToken, Accept: "application/json" },
      })
        .then(function (response) {
          if (response.ok) {
            status.textContent = "Draft saved.";
            document.dispatchEvent(new CustomEvent("ketaclinic:activity"));
          } else if (response.status === 401 || response.status === 403) {
            dirty = true;
            status.textContent =
              "Not saved: your session is locked. Reload this page to unlock it " +
              "(text typed since the last “Draft saved.” may need typing again).";
          } else if (response.status === 413) {
            status.textContent = "Too long to keep as a draft: please save the form.";
          } else {
            dirty = true;
            status.textContent = "Draft not saved. It will be tried again as you type.";
          }
        })
        .catch(function () {
          dirty = true;
          status.textContent = "Draft not saved: no connection. Keep this page open.";
        });
    }

    function changed() {
      dirty = true;
      if (timer) {
        window.clearTimeout(timer);
      }
      timer = window.setTimeout(save, DELAY_MS);
    }

    form.addEventListener("input", changed);
    form.addEventListener("change", changed);
    form.addEventListener("submit", function () {
      submitted = true;
      if (timer) {
        window.clearTimeout(timer);
      }
    });
    window.addEventListener("pagehide", function () {
      save(true);
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft-key]"), setUp);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
