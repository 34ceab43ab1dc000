// "Copy link" beside a read-only link field (invitations, reset links): the button stays
// hidden without JavaScript or without clipboard access, where the field can still be
// selected and copied by hand.
(function () {
  "use strict";

  if (!navigator.clipboard || !window.isSecureContext) return;
  var buttons = document.querySelectorAll("button[data-copy]");
  Array.prototype.forEach.call(buttons, function (button) {
    var field = document.getElementById(button.getAttribute("data-copy"));
    var status = document.getElementById(button.getAttribute("data-copy") + "-copied");
    if (!field) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(
        function () {
          if (status) status.textContent = "Copied.";
        },
        function () {
          field.select();
          if (status) status.textContent = "Could not copy: the link is selected, copy it with your keyboard.";
        }
      );
    });
  });
})();
