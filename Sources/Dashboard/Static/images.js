// Uploads an image from the browser: the record first, then the file,
// streamed with a live progress bar (bytes, rate, time left) and a cancel.
(function () {
  "use strict";
  const form = document.getElementById("upload");
  if (!form) return;
  const csrf = form.dataset.csrf;
  const file = document.getElementById("upload-file");
  const name = document.getElementById("upload-name");
  const format = document.getElementById("upload-format");
  const start = document.getElementById("upload-start");
  const cancel = document.getElementById("upload-cancel");
  const progress = document.getElementById("upload-progress");
  const bar = document.getElementById("upload-bar");
  const status = document.getElementById("upload-status");
  let request = null;

  file.addEventListener("change", function () {
    const chosen = file.files[0];
    if (!chosen) return;
    if (!name.value) name.value = chosen.name.replace(/\.[^.]+$/, "");
    const extension = (chosen.name.split(".").pop() || "").toLowerCase();
    if ([...format.options].some(function (option) { return option.value === extension; })) format.value = extension;
  });

  function size(bytes) {
    const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
    let value = bytes, unit = 0;
    while (value >= 1024 && unit < units.length - 1) { value /= 1024; unit += 1; }
    return unit === 0 ? bytes + " bytes" : value.toFixed(value < 10 ? 1 : 0) + " " + units[unit];
  }

  function duration(seconds) {
    if (!isFinite(seconds)) return "…";
    if (seconds < 60) return Math.ceil(seconds) + " s";
    return Math.floor(seconds / 60) + " min " + Math.ceil(seconds % 60) + " s";
  }

  function finish(text, reload) {
    status.textContent = text;
    cancel.hidden = true;
    start.disabled = false;
    request = null;
    if (reload) setTimeout(function () { window.location.reload(); }, 1500);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    const chosen = file.files[0];
    if (!chosen) { status.textContent = "Choose a file first."; return; }
    start.disabled = true;
    progress.hidden = false;
    status.textContent = "Creating the image…";
    const body = new URLSearchParams({ name: name.value, disk_format: format.value });
    const created = await fetch("/dashboard/images", {
      method: "POST", body: body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
    });
    const answer = await created.json().catch(function () { return {}; });
    if (!created.ok) { finish(answer.error || "The image could not be created.", false); return; }

    const began = Date.now();
    request = new XMLHttpRequest();
    request.open("PUT", "/dashboard/images/" + answer.id + "/file");
    request.setRequestHeader("X-CSRF-Token", csrf);
    request.setRequestHeader("Content-Type", "application/octet-stream");
    request.upload.onprogress = function (progressEvent) {
      if (!progressEvent.lengthComputable) return;
      const percent = Math.floor(100 * progressEvent.loaded / progressEvent.total);
      const rate = progressEvent.loaded / Math.max((Date.now() - began) / 1000, 0.001);
      bar.value = percent;
      bar.textContent = percent + " %";
      status.textContent = percent + " %: " + size(progressEvent.loaded) + " of " + size(progressEvent.total) + " at " + size(rate) +
        "/s, " + duration((progressEvent.total - progressEvent.loaded) / rate) + " left";
    };
    request.onload = function () {
      let result = {};
      try { result = JSON.parse(request.responseText); } catch (error) { /* not JSON */ }
      if (request.status >= 200 && request.status < 300) {
        bar.value = 100;
        finish("Uploaded: the image is " + result.status + ".", true);
      } else {
        finish(result.error || "The upload failed (HTTP " + request.status + ").", true);
      }
    };
    request.onerror = function () { finish("The upload failed: the connection was lost.", true); };
    request.onabort = function () { finish("Cancelled: nothing was kept; the image stays queued.", true); };
    cancel.hidden = false;
    request.send(chosen);
  });

  cancel.addEventListener("click", function () { if (request) request.abort(); });
})();
