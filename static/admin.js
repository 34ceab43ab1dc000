// Folio admin: the editor's writing surface — the preview beside the text (or a Write/Preview
// toggle on narrow screens), the formatting toolbar and shortcuts, saving with Ctrl/⌘+S,
// the word count, tag suggestions, autosave and the unsaved-changes prompt.
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
  var prose = pane.querySelector(".prose");
  var stats = document.getElementById("text-stats");
  var saveButton = form.querySelector("button[value=save]");
  var AUTOSAVE_EVERY_MS = 5000;
  var PREVIEW_DELAY_MS = 300;
  var STATS_DELAY_MS = 500;
  var WORDS_PER_MINUTE = 230; // as src/domain/reading.rs
  var wide = window.matchMedia("(min-width: 1100px)");

  form.classList.add("has-js");

  function content() { return title.value + "\u0000" + body.value; }
  var loaded = content();        // what the server has as saved: leaving with changes asks first
  var autosaved = loaded;        // what the last autosave sent
  var submitting = false;

  function post(url, fields, headers) {
    var all = { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" };
    Object.keys(headers || {}).forEach(function (name) { all[name] = headers[name]; });
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: all,
      body: new URLSearchParams(fields)
    });
  }

  function say(text) { if (status) status.textContent = text; }
  // The time now as the rest of the page shows times: 24-hour, in the site's time zone.
  function clock() {
    try {
      return new Intl.DateTimeFormat("en-GB", {
        timeZone: form.dataset.timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"
      }).format(new Date());
    } catch (e) {
      var now = new Date();
      return ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
    }
  }

  // ------------------------------------------------------------ preview and its layout
  // Wide screens show the preview beside the text; narrow ones switch between them.
  var view = "write";
  var writeToggle = form.querySelector("button[data-view=write]");
  var previewToggle = form.querySelector("button[data-view=preview]");
  writeToggle.hidden = false;
  previewToggle.setAttribute("aria-pressed", "false");

  var previewTimer = null;
  function renderPreview() {
    if (pane.hidden) return;
    if (!body.value.trim()) {
      prose.innerHTML = "<p class=\"hint\">The preview of your text appears here.</p>";
      return;
    }
    post(form.dataset.previewUrl, { body: body.value }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      prose.innerHTML = data.html; // sanitised by the server
      followScroll();
    }).catch(function () { /* the Preview button still works */ });
  }

  function setView(next) {
    view = next;
    form.dataset.view = next;
    writeToggle.setAttribute("aria-pressed", String(next === "write"));
    previewToggle.setAttribute("aria-pressed", String(next === "preview"));
    layout();
  }
  function layout() {
    var wasHidden = pane.hidden;
    pane.hidden = !(wide.matches || view === "preview");
    if (wasHidden && !pane.hidden) renderPreview();
    fitPane();
  }
  // Beside the text, the preview is as tall as the text area, and scrolls with it.
  function fitPane() {
    if (!wide.matches || pane.hidden) { pane.style.height = ""; return; }
    var height = body.getBoundingClientRect().bottom - pane.getBoundingClientRect().top;
    pane.style.height = Math.max(height, 160) + "px";
  }
  function followScroll() {
    if (!wide.matches || pane.hidden) return;
    var range = body.scrollHeight - body.clientHeight;
    var ratio = range > 0 ? body.scrollTop / range : 0;
    pane.scrollTop = ratio * (pane.scrollHeight - pane.clientHeight);
  }
  writeToggle.addEventListener("click", function () { setView("write"); });
  previewToggle.addEventListener("click", function (event) {
    event.preventDefault(); // no reload: the panel shows the text as typed
    // Enter in a one-line field "clicks" the form's first submit button (this one):
    // that is not a request to preview.
    var focused = document.activeElement;
    if (event.detail === 0 && focused && focused.tagName === "INPUT" && form.contains(focused)) return;
    if (wide.matches) renderPreview();
    else setView("preview");
  });
  if (wide.addEventListener) wide.addEventListener("change", layout);
  window.addEventListener("resize", fitPane);
  if (window.ResizeObserver) new ResizeObserver(fitPane).observe(body);
  body.addEventListener("scroll", followScroll);
  setView("write");

  body.addEventListener("input", function () {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(renderPreview, PREVIEW_DELAY_MS);
  });

  // Enter in the title goes on to the text.
  title.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.isComposing) {
      event.preventDefault();
      body.focus();
    }
  });

  // ------------------------------------------------------------ words and reading time
  // Counted as src/domain/reading.rs counts them (the server shows the same on load).
  function summary(text) {
    var words = text.replace(/\]\([^)]*\)/g, "]").split(/\s+/).filter(function (word) {
      return /[\p{L}\p{N}]/u.test(word);
    }).length;
    var counted = words + (words === 1 ? " word" : " words");
    return words ? counted + " · " + Math.ceil(words / WORDS_PER_MINUTE) + " min read" : counted;
  }
  var statsTimer = null;
  body.addEventListener("input", function () {
    clearTimeout(statsTimer);
    statsTimer = setTimeout(function () {
      var text = summary(body.value);
      if (stats.textContent !== text) stats.textContent = text;
    }, STATS_DELAY_MS);
  });

  // ------------------------------------------------------------ formatting
  // Replaces part of the text as typing would, so that undo still works where the browser
  // allows it; then selects [selStart, selEnd).
  function replaceRange(start, end, text, selStart, selEnd) {
    body.focus();
    body.setSelectionRange(start, end);
    var done = false;
    try { done = document.execCommand("insertText", false, text); } catch (e) { done = false; }
    if (!done) {
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true })); // preview, count, autosave
    }
    body.setSelectionRange(selStart, selEnd);
  }

  // **bold**, _italic_, `code` around the selection (or a placeholder to type over);
  // again on wrapped text, unwraps it.
  function wrap(marker, placeholder) {
    var v = body.value, s = body.selectionStart, e = body.selectionEnd, n = marker.length;
    var selected = v.slice(s, e);
    if (v.slice(s - n, s) === marker && v.slice(e, e + n) === marker) {
      replaceRange(s - n, e + n, selected, s - n, e - n);
      return;
    }
    if (selected.length > 2 * n && selected.slice(0, n) === marker && selected.slice(-n) === marker) {
      var inner = selected.slice(n, -n);
      replaceRange(s, e, inner, s, s + inner.length);
      return;
    }
    var lead = selected.match(/^\s*/)[0];
    var core = selected.trim() || placeholder;
    var trail = selected.trim() ? selected.match(/\s*$/)[0] : "";
    var at = s + lead.length + n;
    replaceRange(s, e, lead + marker + core + marker + trail, at, at + core.length);
  }

  // The selected lines (or the cursor's line) as headings, quotes or list items; again,
  // back to plain lines.
  function prefixLines(prefix, pattern) {
    var v = body.value, s = body.selectionStart, e = body.selectionEnd;
    if (e > s && v[e - 1] === "\n") e -= 1;
    var lineStart = v.lastIndexOf("\n", s - 1) + 1;
    var lineEnd = v.indexOf("\n", e);
    if (lineEnd < 0) lineEnd = v.length;
    var lines = v.slice(lineStart, lineEnd).split("\n");
    var filled = lines.filter(function (line) { return line.trim(); });
    var undo = filled.length > 0 && filled.every(function (line) { return pattern.test(line); });
    var out = lines.map(function (line) {
      if (undo) return line.replace(pattern, "");
      if (!line.trim() && lines.length > 1) return line;
      return prefix + line.replace(pattern, "");
    }).join("\n");
    if (lines.length === 1 && body.selectionStart === body.selectionEnd) {
      replaceRange(lineStart, lineEnd, out, lineStart + out.length, lineStart + out.length);
    } else {
      replaceRange(lineStart, lineEnd, out, lineStart, lineStart + out.length);
    }
  }

  function code() {
    var v = body.value, s = body.selectionStart, e = body.selectionEnd;
    var selected = v.slice(s, e);
    if (selected.indexOf("\n") < 0) { wrap("`", "code"); return; }
    var before = s > 0 && v[s - 1] !== "\n" ? "\n" : "";
    var after = e < v.length && v[e] !== "\n" ? "\n" : "";
    var block = before + "```\n" + selected.replace(/\n$/, "") + "\n```" + after;
    var at = s + before.length + 4;
    replaceRange(s, e, block, at, at + selected.replace(/\n$/, "").length);
  }

  function link() {
    var v = body.value, s = body.selectionStart, e = body.selectionEnd;
    var selected = v.slice(s, e).trim();
    if (/^(https?:\/\/|\/)\S*$/.test(selected)) {
      replaceRange(s, e, "[](" + selected + ")", s + 1, s + 1); // type the link's text
      return;
    }
    var label = selected || "link text";
    var address = "https://";
    var text = "[" + label + "](" + address + ")";
    var at = s + label.length + 3;
    replaceRange(s, e, text, at, at + address.length); // type over the address
  }

  var picker = document.getElementById("media-picker");
  function image() {
    var tools = picker && picker.querySelector(".picker-tools");
    if (tools && !tools.hidden) {
      picker.open = true;
      picker.scrollIntoView({ block: "nearest" });
      document.getElementById("picker-upload").focus();
      return;
    }
    var v = body.value, s = body.selectionStart, e = body.selectionEnd;
    var alt = v.slice(s, e).trim() || "Describe the image";
    replaceRange(s, e, "![" + alt + "](https://)", s + 2, s + 2 + alt.length);
  }

  var formats = {
    bold: function () { wrap("**", "strong text"); },
    italic: function () { wrap("_", "emphasised text"); },
    heading: function () { prefixLines("## ", /^#{1,6} /); },
    link: link,
    quote: function () { prefixLines("> ", /^> ?/); },
    code: code,
    list: function () { prefixLines("- ", /^[-*+] /); },
    image: image
  };

  var toolbar = document.getElementById("format-toolbar");
  var tools = Array.prototype.slice.call(toolbar.querySelectorAll("button"));
  toolbar.hidden = false;
  if (/Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent)) {
    tools.forEach(function (tool) { tool.title = tool.title.replace("Ctrl+", "⌘"); });
  }
  // One Tab stop for the toolbar; the arrow keys move along it.
  tools.forEach(function (tool, i) { tool.tabIndex = i === 0 ? 0 : -1; });
  toolbar.addEventListener("keydown", function (event) {
    var i = tools.indexOf(document.activeElement);
    if (i < 0) return;
    var next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tools.length - 1 }[event.key];
    if (next === undefined) return;
    event.preventDefault();
    next = (next + tools.length) % tools.length;
    tools[i].tabIndex = -1;
    tools[next].tabIndex = 0;
    tools[next].focus();
  });
  // A click keeps the text's focus and selection.
  toolbar.addEventListener("mousedown", function (event) { event.preventDefault(); });
  toolbar.addEventListener("click", function (event) {
    var tool = event.target.closest("button[data-format]");
    if (tool) formats[tool.dataset.format]();
  });

  var SHORTCUTS = { b: "bold", i: "italic", k: "link" };
  body.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey || event.shiftKey) return;
    var format = SHORTCUTS[event.key.toLowerCase()];
    if (!format) return;
    event.preventDefault();
    formats[format]();
  });

  // ------------------------------------------------------------ slug
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

  // ------------------------------------------------------------ tag suggestions
  // The list holds the site's tags; as you type, it offers to complete the last term.
  var tagsField = document.getElementById("tags");
  var tagList = document.getElementById("tag-suggestions");
  if (tagsField && tagList) {
    var allTags = Array.prototype.map.call(tagList.options, function (option) { return option.value; });
    var suggest = function () {
      var value = tagsField.value;
      var cut = value.lastIndexOf(",") + 1;
      var typed = value.slice(cut);
      var prefix = value.slice(0, cut) + typed.match(/^\s*/)[0];
      var term = typed.trim().toLowerCase();
      var used = value.slice(0, cut).split(",").map(function (t) { return t.trim().toLowerCase(); });
      tagList.textContent = "";
      allTags.filter(function (name) {
        var lower = name.toLowerCase();
        return used.indexOf(lower) < 0 && lower !== term && lower.indexOf(term) === 0;
      }).slice(0, 20).forEach(function (name) {
        var option = document.createElement("option");
        option.value = prefix + name;
        tagList.appendChild(option);
      });
    };
    tagsField.addEventListener("input", suggest);
    tagsField.addEventListener("focus", suggest);
  }

  // ------------------------------------------------------------ saving
  // A new post exists once saved: further saves and autosaves go to it.
  function adopt(data) {
    // (`form.action` would be the buttons named "action": the attribute is meant.)
    if (data.action) form.setAttribute("action", data.action);
    if (data.autosave_url) form.dataset.autosaveUrl = data.autosave_url;
    if (data.version) {
      var version = form.querySelector("input[name=version]");
      if (!version) {
        version = document.createElement("input");
        version.type = "hidden"; version.name = "version";
        form.appendChild(version);
      }
      version.value = data.version;
    }
    if (data.edit_url && location.pathname !== data.edit_url) history.replaceState(null, "", data.edit_url);
    if (data.public_url) {
      Array.prototype.forEach.call(document.querySelectorAll("a.view-link"), function (a) {
        a.setAttribute("href", data.public_url); // the slug may have changed
      });
    }
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
          adopt(data);
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

  // Ctrl/⌘+S: the Save button's save, without leaving the page. What the server refuses
  // (a field to fix, someone else's newer save) is shown by sending the form as usual.
  function saveNow() {
    if (submitting) return;
    if (saving) { setTimeout(saveNow, 300); return; }
    saving = true;
    var sent = content();
    var fields = new URLSearchParams(new FormData(form));
    fields.set("action", "save");
    say("Saving…");
    post(form.getAttribute("action"), fields, { Accept: "application/json" }).then(function (response) {
      if (response.status === 422 || response.status === 409) return null;
      if (response.status === 503) throw new Error("the database can't be reached or can't save right now");
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response.json();
    }).then(function (data) {
      saving = false;
      if (!data) {
        submitting = true;
        form.requestSubmit(saveButton);
        return;
      }
      adopt(data);
      loaded = sent;
      autosaved = sent;
      say(data.message.replace(/\.$/, "") + " at " + clock() + ".");
    }).catch(function (error) {
      saving = false;
      say("Saving failed (" + error.message + "); your text is still here.");
    });
  }
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "s") {
      event.preventDefault();
      saveNow();
    }
  });

  // ------------------------------------------------------------ media
  // Drop or paste files onto the text, or pick from the library, to insert them at the
  // cursor. Uploaded images get a placeholder alt text, selected so it can be typed over.
  function insertAtCursor(text, select) {
    var start = body.selectionStart, end = body.selectionEnd;
    var before = body.value.slice(0, start);
    var block = (before && !/\n\n$/.test(before) ? (/\n$/.test(before) ? "\n" : "\n\n") : "") + text + "\n\n";
    var at = start + block.indexOf(text);
    if (select) replaceRange(start, end, block, at + select[0], at + select[1]);
    else replaceRange(start, end, block, at + text.length, at + text.length);
  }
  var PLACEHOLDER_ALT = "Describe the image";
  function insertFile(file) {
    if (file.thumbnail && !file.alt_text) {
      insertAtCursor("![" + PLACEHOLDER_ALT + "](" + file.url + ")", [2, 2 + PLACEHOLDER_ALT.length]);
    } else {
      insertAtCursor(file.markdown);
    }
  }
  if (picker && window.FolioMedia) {
    var api = picker.dataset.api;
    var pickerTools = picker.querySelector(".picker-tools");
    var results = document.getElementById("picker-results");
    var search = document.getElementById("picker-search");
    var progressList = document.getElementById("picker-progress");
    pickerTools.hidden = false;
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
