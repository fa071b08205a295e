/* Light or dark: the reader's choice, remembered in localStorage, else the system's setting.
 * Loaded in <head> (before the page is drawn, so a chosen scheme never flashes the other one);
 * it shows the header's toggle button, which is hidden without JavaScript.
 */
(function () {
  'use strict';
  var KEY = 'theme';
  var root = document.documentElement;
  function stored() {
    try { return localStorage.getItem(KEY); } catch (error) { return null; }
  }
  function apply(scheme) {
    if (scheme === 'light' || scheme === 'dark') {
      root.dataset.theme = scheme;
    }
  }
  apply(stored());

  document.addEventListener('DOMContentLoaded', function () {
    var button = document.querySelector('.theme-toggle');
    if (!button) {
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function () {
      var dark = root.dataset.theme
        ? root.dataset.theme === 'dark'
        : window.matchMedia('(prefers-color-scheme: dark)').matches;
      var scheme = dark ? 'light' : 'dark';
      apply(scheme);
      try { localStorage.setItem(KEY, scheme); } catch (error) { /* private mode: not kept */ }
    });
  });
})();
