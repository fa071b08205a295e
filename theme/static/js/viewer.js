/* The gallery viewer: a click on a figure of a post opens it large over the page with its
 * caption (PhotoSwipe, vendored in vendor/photoswipe/); arrow keys and swipes go to the next and
 * previous image, Escape closes. The URL fragment names the image shown (#image-NAME, the
 * figure's id), so the address can be shared and opens the viewer there; the back button closes
 * it. The large image comes from the link's data-pswp-srcset at the size shown. Without this
 * script, the figure's link opens the full image. The PhotoSwipe core is loaded on first use.
 */
(function () {
  'use strict';
  var script = document.currentScript;
  var words = script.dataset;
  var folder = script.src.replace(/[^/]*$/, '');
  var gallery = document.querySelector('main');
  var CHILDREN = 'figure > a[data-pswp-srcset]';
  if (!gallery || !window.PhotoSwipeLightbox || !gallery.querySelector(CHILDREN)) {
    return;
  }

  var core = null;
  function loadCore() {  // PhotoSwipe itself, fetched the first time the viewer opens
    core = core || new Promise(function (resolve, reject) {
      var tag = document.createElement('script');
      tag.src = folder + '../vendor/photoswipe/photoswipe.umd.min.js';
      tag.onload = function () { resolve(window.PhotoSwipe); };
      tag.onerror = reject;
      document.head.appendChild(tag);
    });
    return core;
  }

  var MAX_ENLARGEMENT = 4;  // BigSleep images are 128-512 px: shown large, but not a blur
  function fitScreen(zoom) {  // the whole image, as large as the screen allows
    var ratio = Math.min(zoom.panAreaSize.x / zoom.elementSize.x,
                         zoom.panAreaSize.y / zoom.elementSize.y);
    return Math.min(ratio, MAX_ENLARGEMENT);
  }

  var lightbox = new window.PhotoSwipeLightbox({
    gallery: gallery,
    children: CHILDREN,
    pswpModule: loadCore,
    closeTitle: words.close,
    zoomTitle: words.zoom,
    arrowPrevTitle: words.previous,
    arrowNextTitle: words.next,
    errorMsg: words.error,
    bgOpacity: 1,
    initialZoomLevel: fitScreen,
    secondaryZoomLevel: function (zoom) { return Math.max(1, fitScreen(zoom) * 2); },
    maxZoomLevel: function (zoom) { return Math.max(2, fitScreen(zoom) * 4); },
    padding: { top: 48, bottom: 88, left: 0, right: 0 },  // room for the counter and caption
  });

  function links() { return Array.prototype.slice.call(gallery.querySelectorAll(CHILDREN)); }
  function figureOf(link) { return link.closest('figure'); }

  lightbox.on('uiRegister', function () {
    lightbox.pswp.ui.registerElement({
      name: 'caption',
      className: 'pswp__custom-caption',
      order: 9,
      isButton: false,
      appendTo: 'root',
      onInit: function (element, pswp) {
        pswp.on('change', function () {
          var caption = figureOf(pswp.currSlide.data.element).querySelector('figcaption');
          element.innerHTML = caption ? caption.innerHTML : '';
          element.hidden = !caption;
        });
      },
    });
  });

  // The fragment follows the image shown. Opening pushes one history entry, so that Back
  // closes the viewer; moving to another image replaces it; closing removes it. Opened from a
  // shared address, the viewer stays on that entry and closing drops the fragment.
  var ownEntry = false;      // the viewer pushed the current history entry
  var goingBack = false;     // close called history.back(): ignore the popstate it causes
  var closedByBack = false;  // Back closed the viewer: history is already where it should be

  function indexOfHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    return links().findIndex(function (link) { return figureOf(link).id === id; });
  }

  lightbox.on('change', function () {
    var hash = '#' + figureOf(lightbox.pswp.currSlide.data.element).id;
    if (ownEntry || indexOfHash() >= 0) {
      history.replaceState({ viewer: true }, '', hash);
    } else {
      history.pushState({ viewer: true }, '', hash);
      ownEntry = true;
    }
  });
  lightbox.on('close', function () {
    if (closedByBack) {
      closedByBack = false;
    } else if (ownEntry) {
      goingBack = true;
      history.back();
    } else {
      history.replaceState(null, '', location.pathname + location.search);
    }
    ownEntry = false;
  });
  window.addEventListener('popstate', function () {
    if (goingBack) {
      goingBack = false;
    } else if (lightbox.pswp) {
      closedByBack = true;
      lightbox.pswp.close();
    } else if (history.state && history.state.viewer) {
      ownEntry = openFromHash();
    }
  });

  function openFromHash() {
    var index = indexOfHash();
    if (index >= 0) {
      lightbox.loadAndOpen(index, { gallery: gallery });
    }
    return index >= 0;
  }

  lightbox.init();
  openFromHash();
})();
