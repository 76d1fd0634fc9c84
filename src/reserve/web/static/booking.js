// reserve: what the guest pages do better with script. Every page works without it.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  // Focus the error summary, so a screen reader hears what went wrong first.
  var summary = document.querySelector("[data-focus]");
  if (summary) summary.focus();

  // A form that books, holds or changes is sent once: a second click waits for the first.
  // One listener for the whole page, so forms a live refresh brings in are covered too.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-once]")) return;
    if (form.dataset.sent && !(event.submitter && event.submitter.hasAttribute("data-extend"))) {
      event.preventDefault();
      return;
    }
    form.dataset.sent = "1";
    form.setAttribute("aria-busy", "true");
  });

  // The booking page: new times as the party or date change, without a reload.
  var choose = document.querySelector("form.choose[data-times]");
  var region = document.getElementById("times-region");
  var status = document.querySelector("[data-times-status]");
  if (choose && region) {
    var pending = null;
    choose.addEventListener("change", function () {
      if (!choose.checkValidity()) return;
      var query = new URLSearchParams(new FormData(choose)).toString();
      if (pending) pending.abort();
      pending = new AbortController();
      region.setAttribute("aria-busy", "true");
      fetch(choose.dataset.times + "?" + query, { signal: pending.signal, credentials: "same-origin" })
        .then(function (response) {
          if (!response.ok) throw new Error(String(response.status));
          return response.text();
        })
        .then(function (html) {
          var page = new DOMParser().parseFromString(html, "text/html");
          var times = page.getElementById("times");
          if (!times) throw new Error("no times");
          region.replaceChildren(document.adoptNode(times));
          history.replaceState(null, "", choose.action + "?" + query);
          var said = region.querySelector("[data-summary]");
          if (status) status.textContent = said ? said.textContent : "";
        })
        .catch(function (error) {
          if (error.name !== "AbortError") choose.submit();  // the page itself will tell
        })
        .finally(function () { region.removeAttribute("aria-busy"); });
    });
  }

  // The details page: the hold counts down, warns before it ends and is extended in place.
  var hold = document.querySelector("[data-hold]");
  if (!hold) return;
  var left = Number(hold.dataset.secondsLeft);
  var warnAt = Number(hold.dataset.warnSeconds);
  var ttl = Number(hold.dataset.ttl);
  var endsAt = Date.now() + left * 1000;
  var countdown = hold.querySelector("[data-countdown]");
  var until = hold.querySelector("[data-until]");
  var warning = hold.querySelector("[data-warning]");
  var extend = document.querySelector("[data-extend]");
  var warned = false;
  var ended = false;

  function remaining() { return Math.max(0, Math.round((endsAt - Date.now()) / 1000)); }
  function spoken(seconds) {
    if (seconds >= 120) return Math.ceil(seconds / 60) + " minutes";
    if (seconds >= 60) return "1 minute" + (seconds > 60 ? " " + (seconds - 60) + " seconds" : "");
    return seconds + (seconds === 1 ? " second" : " seconds");
  }
  function tick() {
    var seconds = remaining();
    if (countdown) countdown.textContent = spoken(seconds);
    if (seconds <= 0 && !ended) {
      ended = true;
      warning.textContent = "";
      var message = document.createElement("span");
      message.textContent = "Your hold has ended and the table was let go. ";
      var again = document.createElement("a");
      again.href = hold.dataset.timesUrl;
      again.textContent = "Choose a time again";
      warning.replaceChildren(message, again);
      if (extend) extend.disabled = true;
    } else if (seconds > 0 && seconds <= warnAt && !warned) {
      warned = true;
      warning.textContent = "Your table is held for " + spoken(seconds) +
        " more. Need longer? Choose \u201cMore time\u201d.";
    }
  }
  tick();
  var timer = setInterval(function () { tick(); if (ended) clearInterval(timer); }, 1000);

  if (extend) {
    extend.addEventListener("click", function (event) {
      event.preventDefault();
      extend.disabled = true;
      fetch(hold.dataset.extendUrl, { method: "POST", headers: { Accept: "application/json" } })
        .then(function (response) {
          return response.json().then(function (body) { return { ok: response.ok, status: response.status, body: body }; });
        })
        .then(function (answer) {
          if (answer.ok) {
            endsAt = Date.now() + ttl * 1000;
            warned = false;
            if (until && typeof answer.body.expires_at === "string") {
              until.textContent = answer.body.expires_at.slice(11, 16);
            }
            warning.textContent = "";
            var done = hold.querySelector(".notice") || document.createElement("p");
            done.className = "notice";
            done.setAttribute("role", "status");
            done.textContent = "Done: we are holding the table for another " + spoken(ttl) + ".";
            if (!done.parentNode) hold.appendChild(done);
            var rest = answer.body.extensions_left;
            extend.disabled = rest === 0;
            extend.textContent = rest < 3 ? "More time (" + rest + " left)" : "More time";
          } else if (answer.status === 410) {
            endsAt = Date.now();
            tick();
          } else if (answer.status === 409) {  // extended as often as it may be
            warning.textContent = "This hold cannot be extended again. Please send your details now.";
            extend.textContent = "More time (0 left)";
          } else {
            extend.disabled = false;
            warning.textContent = answer.body.detail || "The hold could not be extended.";
          }
        })
        .catch(function () {
          extend.disabled = false;
          warning.textContent = "The hold could not be extended: check your connection and try again.";
        });
    });
  }
})();
