/* Staff session: warn before the idle lock, offer "Stay signed in".
 *
 * Loaded by backoffice/base.html through {% staff_session_scripts %}; settings come
 * from data- attributes (the Content-Security-Policy forbids inline script).
 * The server decides: before warning and before locking, this asks
 * GET data-status-url for the true time left (another tab may have been busy).
 * "Stay signed in" sends POST data-keep-alive-url with the CSRF token.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || !window.fetch) {
    return;
  }
  var cfg = script.dataset;
  var idleMs = parseInt(cfg.idleSeconds, 10) * 1000;
  var warningMs = parseInt(cfg.warningSeconds, 10) * 1000;
  var deadline = Date.now() + parseInt(cfg.remainingSeconds, 10) * 1000;
  var busy = false;
  var dialog = null;
  var countdown = null;

  function request(url, method) {
    var headers = { Accept: "application/json" };
    if (method === "POST") {
      headers["X-CSRFToken"] = cfg.csrfToken;
    }
    return fetch(url, { method: method, headers: headers, credentials: "same-origin" }).then(
      function (response) {
        return response.json().then(function (data) {
          data.httpStatus = response.status;
          return data;
        });
      }
    );
  }

  function goToLockScreen() {
    // Reloading lets the server lock the session and show the unlock page;
    // after unlocking, the person comes back to this page.
    window.location.assign(window.location.href);
  }

  function minutesAndSeconds(ms) {
    var total = Math.max(0, Math.round(ms / 1000));
    var minutes = Math.floor(total / 60);
    var seconds = total % 60;
    if (minutes === 0) {
      return seconds + " second" + (seconds === 1 ? "" : "s");
    }
    return minutes + " min " + (seconds < 10 ? "0" : "") + seconds + " s";
  }

  function buildDialog() {
    dialog = document.createElement("dialog");
    dialog.className = "panel idle-warning";
    // Centred above the page (CSSOM styles are allowed by the Content-Security-Policy).
    dialog.style.margin = "auto";
    dialog.style.maxWidth = "32rem";
    dialog.setAttribute("aria-labelledby", "idle-warning-title");
    dialog.setAttribute("aria-describedby", "idle-warning-text");

    var title = document.createElement("h2");
    title.id = "idle-warning-title";
    title.textContent = "Are you still there?";

    var text = document.createElement("p");
    text.id = "idle-warning-text";
    text.appendChild(document.createTextNode("To protect patient information, this screen will lock in "));
    countdown = document.createElement("strong");
    text.appendChild(countdown);
    text.appendChild(document.createTextNode(". Anything you are typing is kept."));

    var stay = document.createElement("button");
    stay.type = "button";
    stay.textContent = "Stay signed in";
    stay.addEventListener("click", stayActive);

    var leave = document.createElement("button");
    leave.type = "button";
    leave.className = "button--secondary";
    leave.textContent = "Sign out";
    leave.addEventListener("click", signOut);

    var actions = document.createElement("p");
    actions.appendChild(stay);
    actions.appendChild(document.createTextNode(" "));
    actions.appendChild(leave);

    dialog.appendChild(title);
    dialog.appendChild(text);
    dialog.appendChild(actions);
    // Escape means the person is here: treat it like "Stay signed in".
    dialog.addEventListener("cancel", function (event) {
      event.preventDefault();
      stayActive();
    });
    document.body.appendChild(dialog);
  }

  function showWarning() {
    if (!dialog) {
      buildDialog();
    }
    countdown.textContent = minutesAndSeconds(deadline - Date.now());
    if (!dialog.open) {
      if (typeof dialog.showModal === "function") {
        dialog.showModal();
      } else {
        dialog.setAttribute("open", "");
      }
      dialog.querySelector("button").focus();
    }
  }

  function hideWarning() {
    if (dialog && dialog.open) {
      if (typeof dialog.close === "function") {
        dialog.close();
      } else {
        dialog.removeAttribute("open");
      }
    }
  }

  function reschedule(remainingSeconds) {
    deadline = Date.now() + remainingSeconds * 1000;
    if (deadline - Date.now() > warningMs) {
      hideWarning();
    }
  }

  function stayActive() {
    busy = true;
    request(cfg.keepAliveUrl, "POST")
      .then(function (data) {
        busy = false;
        if (data.httpStatus !== 200) {
          goToLockScreen();
          return;
        }
        reschedule(data.remaining);
      })
      .catch(function () {
        busy = false;
      });
  }

  function signOut() {
    var form = document.querySelector('form[action$="/accounts/logout/"]');
    if (form) {
      form.submit();
    }
  }

  function checkServer(then) {
    busy = true;
    request(cfg.statusUrl, "GET")
      .then(function (data) {
        busy = false;
        if (data.httpStatus !== 200 || data.locked) {
          goToLockScreen();
          return;
        }
        deadline = Date.now() + data.remaining * 1000;
        then();
      })
      .catch(function () {
        busy = false;
        then();
      });
  }

  function tick() {
    if (busy) {
      return;
    }
    var left = deadline - Date.now();
    if (left <= 0) {
      checkServer(function () {
        if (deadline - Date.now() <= 0) {
          goToLockScreen();
        } else {
          reschedule((deadline - Date.now()) / 1000);
        }
      });
    } else if (left <= warningMs) {
      if (dialog && dialog.open) {
        countdown.textContent = minutesAndSeconds(left);
      } else {
        checkServer(function () {
          if (deadline - Date.now() <= warningMs) {
            showWarning();
          }
        });
      }
    }
  }

  function activity() {
    // A request from this page just counted as activity on the server.
    reschedule(idleMs / 1000);
  }

  document.addEventListener("ketaclinic:activity", activity);
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful) {
      activity();
    }
  });
  document.addEventListener("visibilitychange", tick);
  // A one-second tick (not one long timer) survives a computer going to sleep.
  window.setInterval(tick, 1000);
})();
