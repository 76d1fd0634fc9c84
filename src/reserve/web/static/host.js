// reserve: the host stand keeps itself up to date. A page's live part is the element
// #floor; its data-events names the event stream of the venue's changes, and data-page (or
// else the page's own address) the page to fetch again when one comes. Without script the
// page reloads itself every 30 seconds instead.
(function () {
  "use strict";
  var floor = document.getElementById("floor");
  if (!floor || !floor.dataset.events || !window.fetch || !window.DOMParser) return;

  var POLL_MS = 30000;
  var BUSY_RETRY_MS = 1000;
  var RETRY_MS = 10000;  // after a fetch that failed
  var events = new URL(floor.dataset.events, location.href);
  var day = events.searchParams.get("date");  // null: every day's changes matter
  var page = floor.dataset.page || location.href;
  var source = null;
  var dropped = false;
  var poll = null;
  var fetching = false;
  var again = false;
  var waiting = false;

  var bar = document.createElement("div");
  bar.className = "live-bar";
  var status = document.createElement("p");
  status.className = "hint live-status";
  status.setAttribute("role", "status");
  var pause = document.createElement("button");
  pause.type = "button";
  pause.className = "secondary";
  pause.textContent = "Pause live updates";
  pause.setAttribute("aria-pressed", "false");
  bar.appendChild(status);
  bar.appendChild(pause);
  floor.parentNode.insertBefore(bar, floor);
  floor.setAttribute("tabindex", "-1");  // where focus goes when its control is gone
  var paused = false;
  var missed = false;  // changes came while paused
  var shown = floor.innerHTML;  // the floor as the server last sent it
  var news = essence(floor);  // and what of it is not the clock's

  // The floor without what moves with the clock alone (marked data-clock: the current
  // time's slot, minutes waited): a change there is shown but not announced.
  function essence(root) {
    var copy = root.cloneNode(true);
    copy.querySelectorAll("[data-clock]").forEach(function (element) { element.remove(); });
    return copy.innerHTML;
  }

  // The host may hold the floor still (WCAG 2.2.2) and let it catch up when they choose.
  pause.addEventListener("click", function () {
    paused = !paused;
    pause.setAttribute("aria-pressed", String(paused));
    pause.textContent = paused ? "Resume live updates" : "Pause live updates";
    if (paused) {
      status.textContent = "Live updates paused.";
    } else if (missed) {
      missed = false;
      refresh();
    } else {
      status.textContent = "Live: changes show here as they happen.";
    }
  });

  function clock() {
    return new Date().toTimeString().slice(0, 5);
  }

  // How long ago the server rendered this page: the stream then tells of any change since.
  function age() {
    var navigation = performance.getEntriesByType ? performance.getEntriesByType("navigation")[0] : null;
    var since = navigation ? navigation.responseStart : 0;
    return Math.max(0, Math.round(performance.now() - since));
  }

  // A host typing in a form of the floor: in a field now, or a moment ago.
  var TYPING_MS = 3000;
  var typedAt = 0;
  var TEXT = "textarea, select, input:not([type=button]):not([type=submit]):not([type=hidden])" +
    ":not([type=checkbox]):not([type=radio])";
  floor.addEventListener("input", function () { typedAt = Date.now(); });

  function busy() {
    var active = document.activeElement;
    if (active && floor.contains(active) && active.matches(TEXT)) return true;
    return Date.now() - typedAt < TYPING_MS;
  }

  // What the host has typed and not sent, to be kept in the new floor's same fields.
  function typed() {
    var kept = [];
    floor.querySelectorAll("form").forEach(function (form) {
      Array.prototype.forEach.call(form.elements, function (field) {
        // Buttons carry what they do, not what was typed: a row's buttons share one name.
        if (!field.name || field.type === "hidden" || field.tagName === "BUTTON") return;
        var changed = field.type === "checkbox" || field.type === "radio"
          ? field.checked !== field.defaultChecked
          : field.value !== field.defaultValue;
        if (changed) {
          kept.push({ action: form.getAttribute("action"), name: field.name, value: field.value, checked: field.checked, type: field.type });
        }
      });
    });
    return kept;
  }

  function retype(kept) {
    kept.forEach(function (one) {
      floor.querySelectorAll("form").forEach(function (form) {
        if (form.getAttribute("action") !== one.action) return;
        Array.prototype.forEach.call(form.elements, function (field) {
          if (field.name !== one.name || field.tagName === "BUTTON") return;
          if (one.type === "checkbox" || one.type === "radio") {
            if (field.value === one.value) field.checked = one.checked;
          } else {
            field.value = one.value;
          }
        });
      });
    });
  }

  // How to find the focused element again in the new floor: by id, by its form's action
  // and its name and words, by a link's address, or by the heading that names a region.
  function finder(element) {
    if (!element || element === floor || !floor.contains(element)) return null;
    var exact = match(element);
    var action = element.form ? element.form.getAttribute("action") : null;
    var holder = element.parentElement && element.parentElement.closest("[id]");
    var near = holder && holder !== floor && floor.contains(holder) ? holder.id : null;
    // Else the first button of its form (a booking's next action), else the first control
    // of what held it (the booking's row, the party's entry), else the floor itself: focus
    // never falls back to the top of the page.
    return function (root) {
      var found = exact && exact(root);
      if (found) return found;
      var form = action && root.querySelector("form[action=\"" + CSS.escape(action) + "\"]");
      found = form && form.querySelector("button");
      if (found) return found;
      var around = near && root.querySelector("#" + CSS.escape(near));
      if (around) found = around.querySelector("button, a[href], input:not([type=hidden]), select, textarea");
      return found || floor;
    };
  }

  function match(element) {
    if (element.id) return function (root) { return root.querySelector("#" + CSS.escape(element.id)); };
    var words = element.textContent.trim();
    var form = element.form;
    if (form) {
      var action = form.getAttribute("action");
      return function (root) {
        var found = null;
        root.querySelectorAll("form").forEach(function (other) {
          if (found || other.getAttribute("action") !== action) return;
          other.querySelectorAll(element.tagName).forEach(function (candidate) {
            if (!found && candidate.name === element.name && candidate.textContent.trim() === words) found = candidate;
          });
        });
        return found;
      };
    }
    var href = element.getAttribute("href");
    if (href) return function (root) { return root.querySelector("a[href=\"" + CSS.escape(href) + "\"]"); };
    var named = element.getAttribute("aria-labelledby");
    if (named) return function (root) { return root.querySelector("[aria-labelledby=\"" + CSS.escape(named) + "\"]"); };
    return null;
  }

  function scrolled() {
    var kept = [];
    floor.querySelectorAll(".table-scroll").forEach(function (region, index) {
      kept.push({ key: region.getAttribute("aria-labelledby") || index, left: region.scrollLeft, top: region.scrollTop });
    });
    return kept;
  }

  function rescroll(kept) {
    floor.querySelectorAll(".table-scroll").forEach(function (region, index) {
      var key = region.getAttribute("aria-labelledby") || index;
      kept.forEach(function (one) {
        if (one.key === key) {
          region.scrollLeft = one.left;
          region.scrollTop = one.top;
        }
      });
    });
  }

  function replace(fresh) {
    var find = finder(document.activeElement);
    var kept = scrolled();
    var fields = typed();
    var adopted = document.adoptNode(fresh);
    floor.replaceChildren.apply(floor, Array.prototype.slice.call(adopted.childNodes));
    rescroll(kept);
    retype(fields);
    if (find) find(floor).focus({ preventScroll: true });
  }

  function later(ms) {
    if (waiting) return;
    waiting = true;
    setTimeout(function () { waiting = false; refresh(); }, ms);
  }

  // Fetch the page again and show its floor: one fetch at a time, and at most one more
  // after it however many changes came meanwhile; never while the host is typing.
  function refresh() {
    if (paused) {
      if (!missed) status.textContent = "Live updates paused: there are changes to show.";
      missed = true;
      return;
    }
    if (fetching) {
      again = true;
      return;
    }
    if (busy()) {
      again = false;
      later(BUSY_RETRY_MS);
      return;
    }
    fetching = true;
    again = false;
    floor.setAttribute("aria-busy", "true");
    fetch(page, { credentials: "same-origin", cache: "no-store", headers: { Accept: "text/html" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text().then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("floor");
          if (!fresh) {
            location.reload();  // signed out: the page itself says where to go
            return;
          }
          if (busy()) {
            again = true;  // the host began typing meanwhile: keep what they see
            return;
          }
          if (fresh.innerHTML === shown) return;  // nothing new: nothing to do
          shown = fresh.innerHTML;
          var changed = essence(fresh) !== news;
          news = essence(fresh);
          replace(fresh);
          if (!changed) return;  // only the clock moved: nothing to announce
          status.textContent = poll
            ? "Updated at " + clock() + "; checked every 30 seconds."
            : "Live: updated at " + clock() + ".";
        });
      })
      .catch(function () {
        status.textContent = "Could not update at " + clock() + "; trying again.";
        later(RETRY_MS);
      })
      .finally(function () {
        fetching = false;
        floor.removeAttribute("aria-busy");
        if (again) refresh();
      });
  }

  function fallBack() {
    if (source) source.close();
    source = null;
    if (!poll) poll = setInterval(function () { refresh(); connect(); }, POLL_MS);
    refresh();
  }

  function connect() {
    if (source || !window.EventSource) return;
    events.searchParams.set("age", String(age()));
    source = new EventSource(events.toString());
    source.addEventListener("open", function () {
      if (poll) {
        clearInterval(poll);
        poll = null;
      }
      if (dropped) refresh();  // changes may have come while the stream was away
      dropped = false;
      if (!/^Live/.test(status.textContent)) status.textContent = "Live: changes show here as they happen.";
    });
    source.addEventListener("floor", function (event) {
      if (event.data === "*" || !day || event.data === day) refresh();
    });
    source.addEventListener("error", function () {
      if (source && source.readyState === EventSource.CLOSED) {
        fallBack();  // refused (signed out, say): the browser will not try again
      } else {
        dropped = true;
      }
    });
  }

  // The timeline opens at the current time (two slots before it showing), not at the
  // day's first opening; after that, refreshes keep wherever the host scrolled it.
  function toNow() {
    var now = floor.querySelector("table.timeline th.now");
    var region = now && now.closest(".table-scroll");
    if (!region || region.scrollLeft) return;
    var head = region.querySelector("th[scope=row]");
    var left = now.getBoundingClientRect().left - region.getBoundingClientRect().left;
    region.scrollLeft = Math.max(0, left - (head ? head.offsetWidth : 0) - 2 * now.offsetWidth);
  }

  // Waited minutes, the current time's slot and the tables free now move with the clock:
  // the floor is fetched again at each minute (and shown only if it changed).
  setTimeout(function () {
    refresh();
    setInterval(refresh, 60000);
  }, 60000 - (Date.now() % 60000) + 500);

  toNow();
  if (window.EventSource) connect();
  else fallBack();
})();
