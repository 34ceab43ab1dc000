// The admin menu on narrow screens: collapsed behind a "Menu" button. Loaded in <head>
// (not deferred) so the class below is set before the first paint and the long list of
// links never flashes open; without JavaScript the class is missing and folio.css keeps
// the links shown (the button stays hidden, having nothing to do).
(function () {
  "use strict";
  document.documentElement.classList.add("has-menu");

  function setUp() {
    var button = document.querySelector(".menu-toggle");
    if (!button) {
      return;
    }
    var header = button.closest(".admin-header");
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!header || !nav) {
      return;
    }
    function show(open) {
      header.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    show(false);
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    // Escape (on the button or a link) closes the open menu and returns focus to its button.
    header.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true"
          && getComputedStyle(button).display !== "none") {
        show(false);
        button.focus();
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
