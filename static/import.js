// The WordPress import form: uploads with a progress line, then follows the server to the
// import's page (which shows the import's own progress). Without this script the form
// posts normally.
(function () {
  "use strict";
  var form = document.getElementById("import-form");
  var status = document.getElementById("import-progress");
  if (!form || !status || !window.FormData) {
    return;
  }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.upload.addEventListener("progress", function (e) {
      if (e.lengthComputable) {
        status.textContent = "Uploading… " + Math.round((e.loaded / e.total) * 100) + " %";
      }
    });
    xhr.addEventListener("load", function () {
      if (xhr.status >= 200 && xhr.status < 300 && xhr.responseURL) {
        window.location.assign(xhr.responseURL);
        return;
      }
      // An error page: show it as the server wrote it.
      document.open();
      document.write(xhr.responseText);
      document.close();
    });
    xhr.addEventListener("error", function () {
      status.textContent = "The upload failed: the connection was lost. Try again.";
      button.disabled = false;
    });
    status.textContent = "Uploading… 0 %";
    xhr.send(new FormData(form));
  });
})();
