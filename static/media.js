// Folio admin: uploads with a progress bar, by file input, drag-and-drop or paste.
// Without it the upload form posts normally. Each file is its own request, so one
// refused file doesn't hold back the others.
(function () {
  "use strict";

  // Uploads one file to `api`; `progress(fraction)` while sending. Resolves with the
  // stored file's record, rejects with the server's message.
  function uploadFile(api, csrf, file, progress) {
    return new Promise(function (resolve, reject) {
      var data = new FormData();
      data.append("files", file, file.name || "pasted-image");
      var xhr = new XMLHttpRequest();
      xhr.open("POST", api);
      xhr.setRequestHeader("X-CSRF-Token", csrf);
      xhr.responseType = "json";
      xhr.upload.onprogress = function (e) {
        if (e.lengthComputable) progress(e.loaded / e.total);
      };
      xhr.onload = function () {
        var body = xhr.response || {};
        if (xhr.status === 201 && body.files && body.files.length) resolve(body.files[0]);
        else reject(new Error((body.error && body.error.message) || "Upload failed (HTTP " + xhr.status + ")."));
      };
      xhr.onerror = function () { reject(new Error("The connection failed; nothing was uploaded.")); };
      xhr.send(data);
    });
  }

  // A list item with a progress bar for one file.
  function progressRow(list, name) {
    var item = document.createElement("li");
    var label = document.createElement("span");
    label.textContent = name;
    var bar = document.createElement("progress");
    bar.max = 1;
    bar.value = 0;
    item.appendChild(label);
    item.appendChild(bar);
    list.appendChild(item);
    return {
      progress: function (f) { bar.value = f; },
      done: function (text, failed) {
        bar.remove();
        var note = document.createElement("span");
        note.className = failed ? "field-error" : "hint";
        note.textContent = " " + text;
        item.appendChild(note);
      }
    };
  }

  window.FolioMedia = { uploadFile: uploadFile, progressRow: progressRow };

  var form = document.getElementById("upload-form");
  if (!form) return;
  var input = form.querySelector("input[type=file]");
  var list = document.getElementById("upload-progress");
  var api = form.dataset.api;
  var csrf = form.dataset.csrf;

  function uploadAll(files) {
    var uploads = Array.prototype.map.call(files, function (file) {
      var row = progressRow(list, file.name || "pasted image");
      return uploadFile(api, csrf, file, row.progress).then(function (stored) {
        row.done("uploaded", false);
        return stored;
      }, function (err) {
        row.done(err.message, true);
        return null;
      });
    });
    Promise.all(uploads).then(function (stored) {
      var ok = stored.filter(Boolean);
      if (ok.length === stored.length && ok.length === 1 && ok[0].thumbnail) {
        window.location.href = ok[0].edit_url; // describe the new image
      } else if (ok.length === stored.length) {
        window.location.reload();
      }
      // With failures, stay so the messages can be read; the library shows the rest on reload.
    });
  }

  form.addEventListener("submit", function (e) {
    if (!input.files.length) return; // let the server say what is missing
    e.preventDefault();
    uploadAll(input.files);
    input.value = "";
  });
  form.addEventListener("dragover", function (e) {
    e.preventDefault();
    form.classList.add("dragging");
  });
  form.addEventListener("dragleave", function () { form.classList.remove("dragging"); });
  form.addEventListener("drop", function (e) {
    e.preventDefault();
    form.classList.remove("dragging");
    if (e.dataTransfer && e.dataTransfer.files.length) uploadAll(e.dataTransfer.files);
  });
  document.addEventListener("paste", function (e) {
    var files = e.clipboardData && e.clipboardData.files;
    if (files && files.length) uploadAll(files);
  });
})();
