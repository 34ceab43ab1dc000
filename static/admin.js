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

  form.addEventListener("submit", function () { submitting = true; });
  window.addEventListener("beforeunload", function (event) {
    if (!submitting && content() !== loaded) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
