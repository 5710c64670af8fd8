// Likeness: small progressive enhancements. The pages work without this file; no inline script
// is allowed by the Content-Security-Policy, so everything hooks in from here.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Search form: show the chosen photo, and ask for a description when the purpose is "other".
  const photo = document.getElementById("photo");
  const preview = document.getElementById("photo-preview");
  if (photo && preview) {
    photo.addEventListener("change", () => {
      const file = photo.files && photo.files[0];
      if (!file) { preview.hidden = true; return; }
      preview.src = URL.createObjectURL(file);
      preview.hidden = false;
    });
  }
  const purpose = document.getElementById("purpose");
  const purposeText = document.getElementById("purpose-text-label");
  if (purpose && purposeText) {
    const sync = () => {
      const other = purpose.value === "other";
      purposeText.hidden = !other;
      document.getElementById("purpose-text").required = other;
    };
    purpose.addEventListener("change", sync);
    sync();
  }
  const searchForm = document.getElementById("search-form");
  if (searchForm) {
    searchForm.addEventListener("submit", () => {
      const button = document.getElementById("search-button");
      button.disabled = true;
      button.textContent = "Searching…";
    });
  }

  // Upload into a collection: send to the API with the session's CSRF token, show the upload's
  // progress, then poll the ingest until it settles.
  const upload = document.getElementById("upload-form");
  if (upload) {
    upload.addEventListener("submit", (event) => {
      event.preventDefault();
      const files = document.getElementById("upload-files").files;
      const status = document.getElementById("upload-status");
      const bar = document.getElementById("upload-progress");
      const body = new FormData();
      for (const file of files) body.append("files", file, file.name);
      const request = new XMLHttpRequest();
      request.open("POST", upload.dataset.action);
      request.setRequestHeader("X-CSRF-Token", upload.dataset.csrf);
      bar.hidden = false;
      request.upload.addEventListener("progress", (e) => {
        if (e.lengthComputable) {
          bar.value = Math.round((e.loaded / e.total) * 100);
          status.textContent = "Uploading… " + bar.value + "%";
        }
      });
      request.addEventListener("load", () => {
        let reply = {};
        try { reply = JSON.parse(request.responseText); } catch (e) { /* shown below */ }
        if (request.status !== 202) {
          status.textContent = "Upload refused: " + (reply.detail || request.status);
          return;
        }
        poll(reply.id, status, bar);
      });
      request.addEventListener("error", () => { status.textContent = "Upload failed: the connection broke."; });
      request.send(body);
    });
  }
  // Comparison view: one zoom for both faces, so they stay at the same scale.
  const zoom = document.getElementById("zoom");
  const comparison = document.getElementById("comparison");
  if (zoom && comparison) {
    zoom.addEventListener("input", () => comparison.style.setProperty("--zoom", zoom.value));
  }
});

function poll(id, status, bar) {
  fetch("/api/v1/uploads/" + encodeURIComponent(id), { credentials: "same-origin" })
    .then((response) => response.json())
    .then((job) => {
      const total = job.total || 0;
      bar.value = total ? Math.round((job.settled / total) * 100) : 0;
      status.textContent = "Ingesting: " + job.settled + (total ? " of " + total : "") + " images, " +
        job.stored + " stored, " + job.duplicates + " duplicates, " + job.failed + " failed, " + job.faces + " faces";
      if (job.state === "running") {
        setTimeout(() => poll(id, status, bar), 700);
      } else {
        status.textContent = (job.state === "finished" ? "Done. " : "Stopped: " + job.error + ". ") + status.textContent.replace("Ingesting: ", "");
        if (job.failures && job.failures.length) {
          status.textContent += " Failures: " + job.failures.map((f) => f.item + " (" + f.reason + ")").join("; ");
        }
      }
    })
    .catch(() => { status.textContent = "Lost track of the upload; reload the page to see the collection's counts."; });
}
