// Folio admin: live preview, autosave and the unsaved-changes prompt for the editor.
// Small and framework-free; everything also works without it (Preview and Save buttons).
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;

  var csrf = form.querySelector("input[name=csrf_token]").value;
  var title = form.querySelector("#title");
  var body = form.querySelector("#body");
  var slug = form.querySelector("#slug");
  var status = document.getElementById("autosave-status");
  var pane = document.getElementById("live-preview");
  var AUTOSAVE_EVERY_MS = 5000;
  var PREVIEW_DELAY_MS = 300;

  function content() { return title.value + "\u0000" + body.value; }
  var loaded = content();        // what the server has as saved: leaving with changes asks first
  var autosaved = loaded;        // what the last autosave sent
  var submitting = false;

  function post(url, fields) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields)
    });
  }

  function say(text) { if (status) status.textContent = text; }
  function clock() { return new Date().toLocaleTimeString(); }

  // Live preview, rendered by the server with the site's renderer.
  var previewTimer = null;
  function renderPreview() {
    post(form.dataset.previewUrl, { body: body.value }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      pane.querySelector(".prose").innerHTML = data.html; // sanitised by the server
      pane.hidden = false;
    }).catch(function () { /* the Preview button still works */ });
  }
  body.addEventListener("input", function () {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
  });
  if (body.value) renderPreview();

  // The slug follows the title until someone edits it by hand.
  var slugFollowsTitle = slug && slug.value === "";
  function slugify(text) {
    return text.toLowerCase().normalize("NFC")
      .replace(/[^\p{L}\p{N}]+/gu, "-").replace(/^-+|-+$/g, "").slice(0, 80);
  }
  if (slug) {
    slug.addEventListener("input", function () { slugFollowsTitle = slug.value === ""; });
    title.addEventListener("input", function () {
      if (slugFollowsTitle) slug.placeholder = slugify(title.value);
    });
  }

  // Autosave: every few seconds while there are changes; a new post becomes a draft.
  var saving = false;
  function autosave() {
    if (saving || submitting || content() === autosaved) return;
    var sent = content();
    saving = true;
    post(form.dataset.autosaveUrl, { title: title.value, body: body.value, kind: form.dataset.kind })
      .then(function (response) {
        if (response.status === 503) throw new Error("the database can't be reached or can't save right now");
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      }).then(function (data) {
        autosaved = sent;
        if (data.id) {
          // The new post exists now: further saves and autosaves go to it.
          form.action = data.action;
          form.dataset.autosaveUrl = data.autosave_url;
          var version = document.createElement("input");
          version.type = "hidden"; version.name = "version"; version.value = data.version;
          form.appendChild(version);
          history.replaceState(null, "", data.edit_url);
          loaded = sent;
          say("Draft created and saved at " + clock() + ".");
        } else {
          say("Changes autosaved at " + clock() + ".");
        }
      }).catch(function (error) {
        say("Autosave failed (" + error.message + "); your text is still here. Save to keep it.");
      }).then(function () { saving = false; });
  }
  setInterval(autosave, AUTOSAVE_EVERY_MS);

  // Media: drop or paste files onto the text, or pick from the library, to insert them at
  // the cursor. Uploaded images get a placeholder alt text, selected so it can be typed over.
  function insertAtCursor(text, select) {
    var start = body.selectionStart, end = body.selectionEnd;
    var before = body.value.slice(0, start), after = body.value.slice(end);
    var block = (before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "") + text + "\n\n";
    body.value = before + block + after;
    var at = before.length + block.indexOf(text);
    if (select) body.setSelectionRange(at + select[0], at + select[1]);
    else body.setSelectionRange(at + text.length, at + text.length);
    body.focus();
    body.dispatchEvent(new Event("input")); // live preview, autosave
  }
  var PLACEHOLDER_ALT = "Describe the image";
  function insertFile(file) {
    if (file.thumbnail && !file.alt_text) {
      insertAtCursor("![" + PLACEHOLDER_ALT + "](" + file.url + ")", [2, 2 + PLACEHOLDER_ALT.length]);
    } else {
      insertAtCursor(file.markdown);
    }
  }
  var picker = document.getElementById("media-picker");
  if (picker && window.FolioMedia) {
    var api = picker.dataset.api;
    var tools = picker.querySelector(".picker-tools");
    var results = document.getElementById("picker-results");
    var search = document.getElementById("picker-search");
    var progressList = document.getElementById("picker-progress");
    tools.hidden = false;
    var uploadAndInsert = function (files) {
      Array.prototype.forEach.call(files, function (file) {
        var row = FolioMedia.progressRow(progressList, file.name || "pasted image");
        FolioMedia.uploadFile(api, csrf, file, row.progress).then(function (stored) {
          row.done("inserted", false);
          insertFile(stored);
        }, function (err) { row.done(err.message, true); });
      });
    };
    var list = function () {
      fetch(api + "?q=" + encodeURIComponent(search.value), { credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (data) {
          results.textContent = "";
          data.files.forEach(function (file) {
            var item = document.createElement("li");
            if (file.thumbnail) {
              var img = document.createElement("img");
              img.src = file.thumbnail; img.alt = ""; img.width = 64; img.height = 48;
              item.appendChild(img);
            }
            var button = document.createElement("button");
            button.type = "button";
            button.className = "link-button";
            button.textContent = "Insert " + file.name;
            button.addEventListener("click", function () { insertFile(file); });
            item.appendChild(button);
            results.appendChild(item);
          });
        }).catch(function () { results.textContent = "The library could not be loaded."; });
    };
    picker.addEventListener("toggle", function () { if (picker.open) list(); });
    var searchTimer = null;
    search.addEventListener("input", function () { clearTimeout(searchTimer); searchTimer = setTimeout(list, 300); });
    document.getElementById("picker-upload").addEventListener("change", function (e) {
      uploadAndInsert(e.target.files);
      e.target.value = "";
    });
    body.addEventListener("dragover", function (e) { e.preventDefault(); });
    body.addEventListener("drop", function (e) {
      if (e.dataTransfer && e.dataTransfer.files.length) {
        e.preventDefault();
        uploadAndInsert(e.dataTransfer.files);
      }
    });
    body.addEventListener("paste", function (e) {
      if (e.clipboardData && e.clipboardData.files.length) {
        e.preventDefault();
        uploadAndInsert(e.clipboardData.files);
      }
    });
  }

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && content() !== loaded) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
