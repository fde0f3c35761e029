/* Chutes TPS Leaderboard: instant search and sort, Refresh and auto-refresh.
 *
 * The server renders a complete page; this script only enhances it. Every card is in
 * the page (non-matches are `hidden`), so searching just toggles them and sorting just
 * reorders them. Refresh fetches /api/models and rebuilds the cards with textContent:
 * upstream strings (model names) never pass through innerHTML. After a refresh the navbar's
 * stale badge is re-checked against the newest scraped_at, by this browser's clock.
 */
(function () {
  "use strict";

  var board = document.getElementById("board");
  var dataNode = document.getElementById("board-data");
  if (!board || !dataNode) return;

  // Same as app/leaderboard.py SORTS: sort key -> [field, highest first?].
  var SORTS = {
    rank: ["rank", false],
    tps: ["latest_tps", true],
    avg_7d: ["avg_7d", true],
    avg_30d: ["avg_30d", true],
    ttft: ["latest_ttft", false],
    requests: ["latest_requests", true],
    name: ["name", false],
    peak: ["peak_tps", true]
  };
  var DEFAULT_SORT = "rank";
  var REFRESH_MS = 5 * 60 * 1000;
  var MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  var SVG_NS = "http://www.w3.org/2000/svg";

  var form = document.getElementById("controls");
  var search = document.getElementById("q");
  var sortSelect = document.getElementById("sort");
  var applyButton = document.getElementById("apply");
  var refreshButton = document.getElementById("refresh");
  var resultCount = document.getElementById("result-count");
  var refreshStatus = document.getElementById("refresh-status");
  var noMatches = document.getElementById("no-matches");
  var noMatchesQuery = document.getElementById("no-matches-query");
  var emptyState = document.getElementById("empty-state");
  var heroFigures = document.querySelector(".hero-figures");
  var staleBadge = document.getElementById("stale-badge");
  var staleAfter = staleBadge ? Number(staleBadge.getAttribute("data-stale-after")) : NaN;
  var minRequests = Number(board.getAttribute("data-min-requests")) || 100;

  var models = parseData(dataNode.textContent);
  var busy = false;
  var lastRefresh = Date.now();
  var missedWhileHidden = false;

  function parseData(text) {
    try {
      var parsed = JSON.parse(text);
      return Array.isArray(parsed) ? parsed : [];
    } catch (err) {
      return [];
    }
  }

  // --- formatting: mirrors app/formatting.py ------------------------------------------

  function isNum(v) {
    return typeof v === "number" && isFinite(v);
  }

  function fixed(v, digits) {
    return v.toLocaleString("en-US", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits
    });
  }

  function fmtTps(v) {
    return isNum(v) ? fixed(v, 1) : "—";
  }

  function fmtSeconds(v) {
    if (!isNum(v)) return "—";
    return v < 10 ? v.toFixed(2) + " s" : fixed(v, 1) + " s";
  }

  function fmtCount(v) {
    return isNum(v) ? fixed(Math.trunc(v), 0) : "—";
  }

  function fmtCompact(v) {
    if (!isNum(v)) return "—";
    var units = [[1e9, "B"], [1e6, "M"], [1e3, "K"]];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(v) >= units[i][0] * 0.99995) {
        return (v / units[i][0]).toFixed(1).replace(/\.0$/, "") + units[i][1];
      }
    }
    return fmtCount(v);
  }

  function fmtDay(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    return m ? MONTHS[Number(m[2]) - 1] + " " + Number(m[3]) : "—";
  }

  function parseUtc(text) {
    if (!text) return null;
    // Timestamps without an offset are UTC (as on the server).
    var iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(text) ? text : text + "Z";
    var d = new Date(iso);
    return isNaN(d.getTime()) ? null : d;
  }

  function pad(n) {
    return (n < 10 ? "0" : "") + n;
  }

  /* A rough age, as app/formatting.py ago(): "just now", "42 min", "5 h", "3 days". */
  function fmtAgo(seconds) {
    if (seconds < 60) return "just now";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 120) return minutes + " min";
    var hours = Math.floor(minutes / 60);
    if (hours < 48) return hours + " h";
    return Math.floor(hours / 24) + " days";
  }

  function fmtUtc(d) {
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + " UTC";
  }

  // --- ranking: mirrors app/leaderboard.py --------------------------------------------

  function fold(s) {
    return String(s == null ? "" : s).toLowerCase();
  }

  function compare(a, b) {
    return a < b ? -1 : a > b ? 1 : 0;
  }

  function byName(a, b) {
    return compare(fold(a.name), fold(b.name));
  }

  /* Sorted copies with ranks over the full list; no-data models last and unranked. */
  function rankModels(list, sortKey) {
    var spec = SORTS[sortKey] || SORTS[DEFAULT_SORT];
    var field = spec[0];
    var desc = spec[1];
    var value = function (m) {
      return field === "name" ? fold(m.name) : m[field];
    };
    var withValue = list.filter(function (m) { return m[field] != null; });
    var without = list.filter(function (m) { return m[field] == null; });
    withValue.sort(function (a, b) {
      var c = compare(value(a), value(b));
      return (desc ? -c : c) || byName(a, b);
    });
    without.sort(byName);
    // `rank` is the server's speed rank: sorting reorders, it never renumbers.
    return withValue.concat(without);
  }

  function queryWords() {
    return fold(search.value).split(/\s+/).filter(Boolean);
  }

  function matches(m, words) {
    var name = fold(m.name);
    var id = fold(m.chute_id);
    return words.every(function (w) {
      return name.indexOf(w) !== -1 || id.indexOf(w) !== -1;
    });
  }

  // --- the DOM ------------------------------------------------------------------------

  function cardsById() {
    var map = new Map();
    Array.prototype.forEach.call(board.children, function (li) {
      map.set(li.getAttribute("data-id"), li);
    });
    return map;
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  }

  function setRank(li, rank) {
    var podium = rank != null && rank <= 3;
    li.className = "card" + (podium ? " podium podium-" + rank : "");
    var badge = li.querySelector(".rank");
    if (badge) {
      badge.className = "rank" + (podium ? " rank-" + rank : "");
      badge.querySelector(".rank-num").textContent = rank != null ? String(rank) : "—";
    }
  }

  function emptySparkline(name) {
    var svg = document.createElementNS(SVG_NS, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("viewBox", "0 0 120 32");
    svg.setAttribute("width", "120");
    svg.setAttribute("height", "32");
    svg.setAttribute("role", "img");
    svg.setAttribute("focusable", "false");
    var title = document.createElementNS(SVG_NS, "title");
    title.textContent = name + ": daily TPS, last 30 days";
    var line = document.createElementNS(SVG_NS, "line");
    line.setAttribute("class", "spark-none");
    line.setAttribute("x1", "3");
    line.setAttribute("x2", "117");
    line.setAttribute("y1", "16");
    line.setAttribute("y2", "16");
    line.setAttribute("stroke-dasharray", "2 4");
    svg.appendChild(title);
    svg.appendChild(line);
    return svg;
  }

  function metric(label, field, text, title) {
    var wrap = el("div");
    wrap.appendChild(el("dt", null, label));
    var dd = el("dd", null, text);
    dd.setAttribute("data-field", field);
    if (title) dd.title = title;
    wrap.appendChild(dd);
    return wrap;
  }

  function flag(kind, text, title) {
    var span = el("span", "flag flag-" + kind, text);
    span.title = title;
    return span;
  }

  /* One card, the same markup as templates/macros.html card(). */
  function buildCard(m, old) {
    var li = el("li");
    li.setAttribute("data-id", m.chute_id);
    var article = el("article", "card-body");

    var head = el("header", "card-head");
    var badge = el("span", "rank");
    badge.appendChild(el("span", "visually-hidden", "Rank "));
    badge.appendChild(el("span", "rank-num"));
    head.appendChild(badge);
    var h3 = el("h3", "card-title");
    var link = el("a", null, m.name);
    link.href = board.getAttribute("data-model-base") + encodeURIComponent(m.chute_id);
    h3.appendChild(link);
    head.appendChild(h3);
    article.appendChild(head);

    var speed = el("div", "card-speed");
    var tps = el("p", "tps" + (m.latest_tps == null ? " tps-none" : ""));
    tps.appendChild(el("span", "tps-value", fmtTps(m.latest_tps)));
    tps.appendChild(document.createTextNode(" "));
    tps.appendChild(el("span", "unit", "tok/s"));
    speed.appendChild(tps);
    // The API has no daily series: keep the sparkline the server drew.
    var spark = old && old.querySelector(".spark");
    speed.appendChild(spark ? spark.cloneNode(true) : emptySparkline(m.name));
    article.appendChild(speed);

    var dl = el("dl", "metrics");
    dl.appendChild(metric("TTFT", "latest_ttft", fmtSeconds(m.latest_ttft)));
    dl.appendChild(metric("7D avg", "avg_7d", fmtTps(m.avg_7d)));
    dl.appendChild(metric("30D avg", "avg_30d", fmtTps(m.avg_30d)));
    dl.appendChild(metric("Requests", "latest_requests", fmtCompact(m.latest_requests),
      fmtCount(m.latest_requests)));
    article.appendChild(dl);

    var foot = el("p", "card-foot");
    if (m.low_sample) {
      foot.appendChild(flag("low", "Low sample", "Fewer than " + minRequests +
        " requests on its latest day: the speed is a small sample"));
    }
    if (m.partial_day) {
      foot.appendChild(flag("partial", "Partial day",
        "The latest day is today (UTC): the day is still in progress"));
    }
    if (m.latest_date) {
      var asOf = el("span", "as-of", "Day ");
      var time = el("time", null, fmtDay(m.latest_date));
      time.setAttribute("datetime", m.latest_date);
      asOf.appendChild(time);
      foot.appendChild(asOf);
    }
    article.appendChild(foot);
    li.appendChild(article);
    setRank(li, m.rank);
    return li;
  }

  /* Put the cards in ranked order (moving existing nodes) and refresh their badges. */
  function applyOrder(ranked) {
    var cards = cardsById();
    ranked.forEach(function (m) {
      var li = cards.get(m.chute_id);
      if (!li) return;
      setRank(li, m.rank);
      board.appendChild(li);
    });
  }

  function applyFilter() {
    var words = queryWords();
    var shown = 0;
    var byId = new Map(models.map(function (m) { return [m.chute_id, m]; }));
    Array.prototype.forEach.call(board.children, function (li) {
      var m = byId.get(li.getAttribute("data-id"));
      var visible = !m || matches(m, words);
      li.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    var total = board.children.length;
    if (total) {
      resultCount.textContent = words.length
        ? shown + " of " + total + " models match"
        : total + (total === 1 ? " model" : " models");
    }
    noMatches.hidden = !(total && shown === 0);
    noMatchesQuery.textContent = search.value.trim();
  }

  function syncUrl() {
    var params = new URLSearchParams(window.location.search);
    var q = search.value.trim();
    if (q) params.set("q", q); else params.delete("q");
    if (sortSelect.value !== DEFAULT_SORT) params.set("sort", sortSelect.value);
    else params.delete("sort");
    var qs = params.toString();
    history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : ""));
  }

  function updateHero(list) {
    var weighted = 0;
    var total = 0;
    var peak = null;
    var peakBy = null;
    var best = null;
    list.forEach(function (m) {
      if (isNum(m.latest_tps) && m.latest_requests) {
        weighted += m.latest_tps * m.latest_requests;
        total += m.latest_requests;
      }
      if (isNum(m.peak_tps) && (peak === null || m.peak_tps > peak)) {
        peak = m.peak_tps;
        peakBy = m.name;
      }
      if (isNum(m.latest_tps) && (best === null || m.latest_tps > best)) best = m.latest_tps;
    });
    setText("hero-total", String(list.length));
    setText("hero-with-data", list.filter(function (m) { return isNum(m.latest_tps); }).length +
      " with speed data");
    setText("hero-average", fmtTps(total ? weighted / total : null));
    setText("hero-peak", fmtTps(peak !== null ? peak : best));
    setText("hero-peak-by", peakBy || "");
  }

  function setText(id, text) {
    var node = document.getElementById(id);
    if (node) node.textContent = text;
  }

  /* The newest scraped_at in the API's answer, or null if no model has one. */
  function newestScrape(list) {
    var newest = null;
    list.forEach(function (m) {
      var d = parseUtc(m.scraped_at);
      if (d && (!newest || d > newest)) newest = d;
    });
    return newest;
  }

  function updateLastUpdated(newest) {
    var node = document.getElementById("last-updated");
    if (!node || !newest) return;
    node.setAttribute("datetime", newest.toISOString().replace(/\.\d{3}Z$/, "Z"));
    node.textContent = fmtUtc(newest);
  }

  /* Stale when the newest data is older than the server's threshold (2x the scrape
   * interval), by this browser's clock. Without a scraped_at, the server's verdict stays. */
  function updateStale(newest) {
    if (!staleBadge || !newest || !(staleAfter > 0)) return;
    var age = (Date.now() - newest.getTime()) / 1000;
    var stale = age >= staleAfter;
    staleBadge.hidden = !stale;
    if (!stale) return;
    staleBadge.textContent = "Stale — last good update " + fmtAgo(age) + " ago";
    staleBadge.title = "The last successful update was " + fmtAgo(age) + " ago (" +
      fmtUtc(newest) + ").";
  }

  function setBusy(on) {
    [board, heroFigures, refreshButton].forEach(function (node) {
      if (!node) return;
      if (on) node.setAttribute("aria-busy", "true");
      else node.removeAttribute("aria-busy");
    });
  }

  function say(text, isError) {
    refreshStatus.textContent = text;
    refreshStatus.classList.toggle("is-error", Boolean(isError));
  }

  // --- refresh ------------------------------------------------------------------------

  function refresh() {
    if (busy) return Promise.resolve();
    busy = true;
    lastRefresh = Date.now();
    setBusy(true);
    say("Refreshing…");
    var url = board.getAttribute("data-api") + "?sort=" + encodeURIComponent(sortSelect.value);
    // no-cache: revalidate with the server (a cheap 304 if nothing changed).
    return fetch(url, { headers: { Accept: "application/json" }, cache: "no-cache" })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        if (!Array.isArray(data)) throw new Error("unexpected response");
        render(data);
        say("Updated at " + fmtUtc(new Date()).slice(11) + ".");
      })
      .catch(function () {
        // The cards on screen stay as they were.
        say("Couldn't refresh just now; showing the last data we had. " +
          "We'll try again in 5 minutes.", true);
      })
      .then(function () {
        busy = false;
        setBusy(false);
      });
  }

  function render(data) {
    var old = cardsById();
    var fragment = document.createDocumentFragment();
    data.forEach(function (m) {
      fragment.appendChild(buildCard(m, old.get(m.chute_id)));
    });
    board.replaceChildren(fragment);
    models = data;
    if (emptyState && data.length) emptyState.hidden = true;
    updateHero(data);
    var newest = newestScrape(data);
    updateLastUpdated(newest);
    updateStale(newest);
    // The API ranked for the chosen sort; re-rank locally only if it changed meanwhile.
    applyOrder(rankModels(models, sortSelect.value));
    applyFilter();
  }

  // --- wiring -------------------------------------------------------------------------

  document.documentElement.classList.add("js");
  if (applyButton) applyButton.hidden = true;

  search.addEventListener("input", function () {
    applyFilter();
    syncUrl();
  });

  sortSelect.addEventListener("change", function () {
    applyOrder(rankModels(models, sortSelect.value));
    board.setAttribute("data-sort", sortSelect.value);
    applyFilter();
    syncUrl();
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (event.submitter === refreshButton) {
      refresh();
    } else {
      applyFilter();
      syncUrl();
    }
  });

  refreshButton.addEventListener("click", function (event) {
    event.preventDefault();
    refresh();
  });

  window.setInterval(function () {
    if (document.hidden) missedWhileHidden = true;
    else refresh();
  }, REFRESH_MS);

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && (missedWhileHidden || Date.now() - lastRefresh > REFRESH_MS)) {
      missedWhileHidden = false;
      refresh();
    }
  });

  // A back/forward or autofilled search box: make the cards agree with the controls.
  if (search.value.trim() || sortSelect.value !== board.getAttribute("data-sort")) {
    applyOrder(rankModels(models, sortSelect.value));
    applyFilter();
  }
})();
