/* Chutes TPS Leaderboard: instant search and sort, views, Refresh and auto-refresh.
 *
 * The server renders everything, numbers and dates included; this script holds no
 * formatting rule. Search hides rendered rows; sort reorders them by the raw values they
 * carry (data-s-<sort>), then the server's fragment (GET /?fragment=board&…) replaces the
 * board so the big numbers and headers follow. Refresh and auto-refresh fetch the same
 * fragment; the fragment is parsed inertly (DOMParser) and swapped in by element id.
 */
(function () {
  "use strict";

  var form = document.getElementById("controls");
  if (!form) return;

  var REFRESH_MS = 5 * 60 * 1000;
  var ANNOUNCE_MS = 600; // screen readers hear the result once typing pauses
  var VIEW_KEY = "board-view";
  var DEFAULTS = { sort: "rank", view: "cards", tokens: "1000" };

  var search = document.getElementById("q");
  var sortSelect = document.getElementById("sort");
  var tokensSelect = document.getElementById("tokens");
  var gateInput = document.getElementById("min_requests");
  var GATE_DEFAULT = gateInput ? gateInput.getAttribute("min") : "";
  var SEARCH_FETCH_MS = 300; // a capped board asks the server once typing pauses
  var searchTimer = null;
  var refreshButton = document.getElementById("refresh");
  var refreshStatus = document.getElementById("refresh-status");
  var searchStatus = document.getElementById("search-status");
  var compareBar = document.getElementById("compare-bar");

  var state = readState();
  var busy = false;
  var lastRefresh = Date.now();
  var missedWhileHidden = false;
  var announceTimer = null;

  function readState() {
    var params = new URLSearchParams(window.location.search);
    var region = document.getElementById("board-region");
    return {
      q: params.get("q") || "",
      sort: sortSelect.value,
      order: region ? region.getAttribute("data-order") || "" : "",
      view: region ? region.getAttribute("data-view") : "cards",
      tokens: tokensSelect ? tokensSelect.value : DEFAULTS.tokens,
      min_requests: gateInput ? gateInput.value : "",
      page: params.get("page") || ""
    };
  }

  function query(extra) {
    var params = new URLSearchParams();
    var s = Object.assign({}, state, extra || {});
    if (s.q) params.set("q", s.q);
    if (s.sort !== DEFAULTS.sort) params.set("sort", s.sort);
    if (s.order) params.set("order", s.order);
    if (s.view !== DEFAULTS.view) params.set("view", s.view);
    if (String(s.tokens) !== DEFAULTS.tokens) params.set("tokens", s.tokens);
    if (s.min_requests && s.min_requests !== GATE_DEFAULT) params.set("min_requests", s.min_requests);
    if (s.page && s.page !== "1") params.set("page", s.page);
    return params;
  }

  function syncUrl() {
    var qs = query().toString();
    history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
    document.querySelectorAll(".view-switch a").forEach(function (link) {
      var params = query({ view: link.getAttribute("data-view") });
      var linkQs = params.toString();
      link.href = window.location.pathname + (linkQs ? "?" + linkQs : "");
    });
  }

  // --- search and sort on the rendered rows --------------------------------------------

  function rowGroups() {
    return Array.prototype.slice.call(document.querySelectorAll("#board-region [data-rows]"));
  }

  function matcher() {
    var words = state.q.toLowerCase().split(/\s+/).filter(Boolean);
    return {
      words: words,
      test: function (node) {
        var text = (node.getAttribute("data-name") || "") + " " +
          node.getAttribute("data-id").toLowerCase();
        return words.every(function (w) { return text.indexOf(w) !== -1; });
      }
    };
  }

  /* Search filters everything the page shows (SPEC §6): the rows of every group, the
   * groups' counts and headings, and the speed-vs-price chart's dots and labels. */
  function applyFilter(announce) {
    var match = matcher();
    var region = document.getElementById("board-region");
    var capped = region && region.hasAttribute("data-capped");
    var shown = 0;
    var total = 0;
    rowGroups().forEach(function (group) {
      var inGroup = 0;
      Array.prototype.forEach.call(group.children, function (row) {
        var visible = capped || match.test(row);
        row.hidden = !visible;
        total += 1;
        shown += visible ? 1 : 0;
        inGroup += visible ? 1 : 0;
      });
      var name = group.getAttribute("data-rows");
      if (!name) return;
      document.querySelectorAll('#board-region [data-group-count="' + name + '"]')
        .forEach(function (node) { node.textContent = String(inGroup); });
      document.querySelectorAll('#board-region [data-group-head="' + name + '"]')
        .forEach(function (node) { node.hidden = inGroup === 0; });
    });
    document.querySelectorAll(".scatter .dot[data-id]").forEach(function (dot) {
      dot.style.display = match.test(dot) ? "" : "none";
    });
    var count = document.getElementById("result-count");
    if (capped) {
      // Only a page of the catalogue is here: the server searches all of it.
      window.clearTimeout(searchTimer);
      if (announce) searchTimer = window.setTimeout(function () { load(true); }, SEARCH_FETCH_MS);
      return;
    }
    if (count && total) {
      count.textContent = match.words.length
        ? shown + " of " + total + " models match"
        : total + (total === 1 ? " model" : " models");
    }
    var noMatches = document.getElementById("no-matches");
    if (noMatches) noMatches.hidden = !(total && shown === 0);
    var echo = document.getElementById("no-matches-query");
    if (echo) echo.textContent = state.q;
    if (announce && count) {
      window.clearTimeout(announceTimer);
      announceTimer = window.setTimeout(function () {
        searchStatus.textContent = count.textContent;
      }, ANNOUNCE_MS);
    }
  }

  function sortValue(row, key) {
    if (key === "name") return row.getAttribute("data-name");
    var raw = row.getAttribute("data-s-" + key);
    return raw === null || raw === "" ? null : Number(raw);
  }

  /* The server's order: by the key (its natural or chosen direction), ties by name,
   * rows without the figure last. "rank" is the rank order's position, never missing. */
  function applyOrder(descending) {
    rowGroups().forEach(function (group) {
      var rows = Array.prototype.slice.call(group.children);
      rows.sort(function (a, b) {
        var va = sortValue(a, state.sort);
        var vb = sortValue(b, state.sort);
        if (va === null || vb === null) {
          if (va !== vb) return va === null ? 1 : -1;
        } else if (va !== vb) {
          return (va < vb ? -1 : 1) * (descending ? -1 : 1);
        }
        var na = a.getAttribute("data-name");
        var nb = b.getAttribute("data-name");
        return na < nb ? -1 : na > nb ? 1 : 0;
      });
      rows.forEach(function (row) { group.appendChild(row); });
    });
  }

  // --- the server's fragment --------------------------------------------------------------

  function setBusy(on) {
    ["board-region", "hero-figures"].forEach(function (id) {
      var node = document.getElementById(id);
      if (!node) return;
      if (on) node.setAttribute("aria-busy", "true");
      else node.removeAttribute("aria-busy");
    });
    if (on) refreshButton.setAttribute("aria-busy", "true");
    else refreshButton.removeAttribute("aria-busy");
  }

  function swapIn(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    ["freshness", "hero-figures", "board-region"].forEach(function (id) {
      var fresh = doc.getElementById(id);
      var old = document.getElementById(id);
      if (fresh && old) old.replaceWith(document.adoptNode(fresh));
    });
    enhanceRows();
    applyFilter(false);
  }

  /* Fetch the board for the current state and swap it in. `quiet`: say nothing unless
   * it fails (sort and view changes); Refresh reports its outcome. */
  function load(quiet) {
    if (busy) return Promise.resolve();
    busy = true;
    lastRefresh = Date.now();
    setBusy(true);
    if (!quiet) refreshStatus.textContent = "Refreshing…";
    refreshStatus.classList.remove("is-error");
    var region = document.getElementById("board-region");
    // Below the cap the fragment holds every row and search hides them here.
    var capped = region && region.hasAttribute("data-capped");
    var params = query(capped ? {} : { q: "" });
    params.set("fragment", "board");
    // no-cache: revalidate with the server (a cheap 304 if nothing changed).
    return fetch(window.location.pathname + "?" + params.toString(), { cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.text();
      })
      .then(function (html) {
        swapIn(html);
        if (!quiet) refreshStatus.textContent = "Board refreshed.";
      })
      .catch(function () {
        // The board on screen stays as it was.
        refreshStatus.textContent = "Couldn't refresh just now; showing the last data we " +
          "had. We'll try again in 5 minutes.";
        refreshStatus.classList.add("is-error");
      })
      .then(function () {
        busy = false;
        setBusy(false);
      });
  }

  // --- compare picking ----------------------------------------------------------------

  var picked = [];

  function updateCompare() {
    if (!compareBar) return;
    var go = document.getElementById("compare-go");
    var count = document.getElementById("compare-count");
    compareBar.hidden = picked.length === 0;
    var ready = picked.length >= 2 && picked.length <= 4;
    go.href = "/compare?ids=" + picked.map(encodeURIComponent).join(",");
    go.setAttribute("aria-disabled", ready ? "false" : "true");
    count.textContent = picked.length + " picked" +
      (picked.length < 2 ? " (pick at least 2)" : picked.length > 4 ? " (at most 4)" : "");
  }

  /* The board ships a "compare with #1" link per model (it works without JS); with JS
   * each model gets a checkbox instead, and the bar builds /compare?ids=… from 2 to 4. */
  function enhanceRows() {
    document.querySelectorAll("#board-region [data-rows] > [data-id]").forEach(function (row) {
      var slot = row.querySelector(".compare");
      if (!slot) return;
      var link = slot.querySelector(".compare-link");
      if (link) link.hidden = true;
      var box = slot.querySelector("input");
      if (!box) {
        var label = document.createElement("label");
        label.className = "compare-pick";
        box = document.createElement("input");
        box.type = "checkbox";
        box.value = row.getAttribute("data-id");
        var title = row.querySelector(".card-title a, .c-name a");
        box.setAttribute("aria-label", "Compare " + (title ? title.textContent : box.value));
        label.appendChild(box);
        if (!row.closest("table")) label.appendChild(document.createTextNode(" Compare"));
        slot.appendChild(label);
      }
      box.checked = picked.indexOf(box.value) !== -1;
    });
  }

  // --- wiring -------------------------------------------------------------------------

  // The `js` class (theme.js, before first paint) has already hidden Apply.

  search.addEventListener("input", function () {
    state.q = search.value.trim();
    state.page = "";
    applyFilter(true);
    syncUrl();
  });

  if (gateInput) {
    gateInput.addEventListener("change", function () {
      if (!gateInput.checkValidity()) return;
      state.min_requests = gateInput.value;
      state.page = "";
      syncUrl();
      load(true);
    });
  }

  function sortBy(sort, order) {
    state.sort = sort;
    state.order = order || "";
    state.page = "";
    sortSelect.value = sort;
    var desc = order ? order === "desc" : form.getAttribute("data-desc-" + sort) === "true";
    applyOrder(desc);
    syncUrl();
    return load(true);
  }

  sortSelect.addEventListener("change", function () {
    sortBy(sortSelect.value, "");
  });

  if (tokensSelect) {
    tokensSelect.addEventListener("change", function () {
      state.tokens = tokensSelect.value;
      syncUrl();
      load(true);
    });
  }

  document.addEventListener("click", function (event) {
    var sortLink = event.target.closest && event.target.closest("#board-region a.sort-link");
    if (sortLink) {
      event.preventDefault();
      var params = new URL(sortLink.href).searchParams;
      sortBy(params.get("sort") || DEFAULTS.sort, params.get("order") || "").then(function () {
        var again = document.querySelector('#board-region a.sort-link[data-sort="' +
          state.sort + '"]');
        if (again) again.focus();
      });
      return;
    }
    var viewLink = event.target.closest && event.target.closest(".view-switch a");
    if (viewLink) {
      event.preventDefault();
      setView(viewLink.getAttribute("data-view"));
    }
  });

  function setView(view) {
    state.view = view;
    try {
      window.localStorage.setItem(VIEW_KEY, view);
    } catch (err) {
      /* not remembered, still shown */
    }
    document.querySelectorAll(".view-switch a").forEach(function (link) {
      if (link.getAttribute("data-view") === view) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    });
    var hidden = form.querySelector('input[name="view"]');
    if (hidden) hidden.value = view;
    syncUrl();
    return load(true);
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.closest || !box.closest(".compare-pick")) return;
    picked = picked.filter(function (id) { return id !== box.value; });
    if (box.checked) picked.push(box.value);
    updateCompare();
  });

  if (compareBar) {
    document.getElementById("compare-clear").addEventListener("click", function () {
      picked = [];
      enhanceRows();
      updateCompare();
    });
    document.getElementById("compare-go").addEventListener("click", function (event) {
      if (this.getAttribute("aria-disabled") === "true") event.preventDefault();
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (event.submitter === refreshButton) load(false);
  });

  refreshButton.addEventListener("click", function (event) {
    event.preventDefault();
    load(false);
  });

  window.setInterval(function () {
    if (document.hidden) missedWhileHidden = true;
    else load(false);
  }, REFRESH_MS);

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && (missedWhileHidden || Date.now() - lastRefresh > REFRESH_MS)) {
      missedWhileHidden = false;
      load(false);
    }
  });

  enhanceRows();
  // A remembered table view, when the URL doesn't choose one.
  var remembered = null;
  try {
    remembered = window.localStorage.getItem(VIEW_KEY);
  } catch (err) {
    remembered = null;
  }
  if (!new URLSearchParams(window.location.search).has("view") && remembered === "table" &&
      state.view !== "table") {
    setView("table");
  } else {
    syncUrl();
  }
  // A back/forward or autofilled search box: make the rows agree with the controls.
  if (search.value.trim() !== state.q) {
    state.q = search.value.trim();
    applyFilter(false);
    syncUrl();
  }
})();
