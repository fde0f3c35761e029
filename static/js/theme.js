/* Light or dark: the visitor's remembered choice, else the system's (prefers-color-scheme).
 * Loaded in <head> without defer so the theme is set before the first paint (no flash);
 * the CSP forbids inline scripts, hence this tiny file. */
(function () {
  "use strict";
  var KEY = "theme";
  var root = document.documentElement;
  // Before first paint: CSS shows the script's controls (theme toggle) and hides the
  // no-script ones (Apply) at once, so nothing moves after the page is drawn.
  root.classList.add("js");

  function stored() {
    try {
      var value = window.localStorage.getItem(KEY);
      return value === "light" || value === "dark" ? value : null;
    } catch (err) {
      return null; // storage blocked: follow the system
    }
  }

  function system() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: light)").matches
      ? "light" : "dark";
  }

  function apply(theme) {
    root.setAttribute("data-theme", theme);
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    var other = theme === "dark" ? "light" : "dark";
    button.setAttribute("aria-label", "Use the " + other + " theme");
    button.querySelector(".theme-label").textContent = other === "light" ? "Light" : "Dark";
  }

  apply(stored() || system());

  if (window.matchMedia) {
    window.matchMedia("(prefers-color-scheme: light)").addEventListener("change", function () {
      if (!stored()) apply(system());
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("theme-toggle");
    if (!button) return;
    apply(root.getAttribute("data-theme"));
    button.addEventListener("click", function () {
      var next = root.getAttribute("data-theme") === "dark" ? "light" : "dark";
      try {
        window.localStorage.setItem(KEY, next);
      } catch (err) {
        /* not remembered, still applied */
      }
      apply(next);
    });
  });
})();
