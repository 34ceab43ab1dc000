// Site settings: a colour picker beside the accent field, and the navigation rows
// rearranged in place (without JavaScript the same buttons send the form and the server
// rearranges them).
(function () {
  "use strict";

  var text = document.getElementById("accent_colour");
  var picker = document.getElementById("accent_picker");
  if (text && picker) {
    var asHex = function (value) {
      var v = value.trim().replace(/^#/, "");
      if (/^[0-9a-f]{3}$/i.test(v)) v = v.replace(/(.)/g, "$1$1");
      return /^[0-9a-f]{6}$/i.test(v) ? "#" + v.toLowerCase() : null;
    };
    var syncPicker = function () {
      var hex = asHex(text.value);
      if (hex) picker.value = hex;
    };
    syncPicker();
    picker.hidden = false;
    text.addEventListener("input", syncPicker);
    picker.addEventListener("input", function () {
      text.value = picker.value;
    });
  }

  var fieldset = document.getElementById("navigation");
  if (!fieldset) return;
  var list = fieldset.querySelector(".nav-row-list");
  var status = document.getElementById("nav-status");
  if (!list) return;

  var rows = function () {
    return Array.prototype.slice.call(list.children);
  };

  // Names, ids, labels and button values follow the rows' order, as the server numbers them.
  var renumber = function () {
    var all = rows();
    all.forEach(function (row, i) {
      row.querySelectorAll("input").forEach(function (input) {
        var kind = input.name.indexOf("nav_label_") === 0 ? "nav_label_" : "nav_url_";
        input.name = kind + i;
        input.id = kind + i;
      });
      row.querySelectorAll("label").forEach(function (label) {
        var kind = label.htmlFor.indexOf("nav_label_") === 0 ? "nav_label_" : "nav_url_";
        label.htmlFor = kind + i;
      });
      row.querySelectorAll(".nav-row-number").forEach(function (span) {
        span.textContent = (span.parentElement.tagName === "LABEL" ? " of link " : " link ") + (i + 1);
      });
      row.querySelectorAll("button[data-move]").forEach(function (button) {
        var move = button.getAttribute("data-move");
        button.value = move + "-" + i;
        button.disabled = (move === "up" && i === 0) || (move === "down" && i === all.length - 1);
      });
    });
  };

  var say = function (message) {
    if (status) status.textContent = message + " Not saved yet: press Save settings to keep it.";
  };

  var emptyRow = function () {
    var row = rows()[0].cloneNode(true);
    row.querySelectorAll("input").forEach(function (input) {
      input.value = "";
      input.removeAttribute("aria-invalid");
    });
    return row;
  };

  fieldset.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-move]");
    if (!button || !fieldset.contains(button)) return;
    event.preventDefault();
    var move = button.getAttribute("data-move");
    if (move === "add") {
      if (rows().length >= 25) {
        say("No more links can be added.");
        return;
      }
      var added = emptyRow();
      list.appendChild(added);
      renumber();
      added.querySelector("input").focus();
      say("Link " + rows().length + " added.");
      return;
    }
    var row = button.closest(".nav-row");
    var index = rows().indexOf(row);
    if (move === "up" && row.previousElementSibling) {
      list.insertBefore(row, row.previousElementSibling);
    } else if (move === "down" && row.nextElementSibling) {
      list.insertBefore(row.nextElementSibling, row);
    } else if (move === "remove") {
      var next = row.nextElementSibling || row.previousElementSibling;
      if (!next) {
        next = emptyRow();
        list.appendChild(next);
      }
      row.remove();
      renumber();
      next.querySelector("input").focus();
      say("Link " + (index + 1) + " removed.");
      return;
    } else {
      return;
    }
    renumber();
    // Keep focus on the button pressed; at the top or bottom it is disabled, so take the other.
    if (button.disabled) {
      var other = row.querySelector('button[data-move="' + (move === "up" ? "down" : "up") + '"]');
      if (other && !other.disabled) other.focus();
    } else {
      button.focus();
    }
    say("Link moved " + move + ", now link " + (rows().indexOf(row) + 1) + ".");
  });
})();
