/* microcred verify page: progressive enhancement only; every form also works without it.
 *
 * - A certificate's QR code opens /verify#<payload>. Browsers never send the part after "#" to a
 *   server in the address, so it stays out of access logs; this script POSTs it in a request
 *   body instead and shows the answer in place.
 * - The camera scans a QR code with the browser's BarcodeDetector when there is one, else with
 *   the vendored jsQR decoder (vendor/jsQR.min.js). Frames never leave the phone.
 * - Forms are submitted in the background and the answer replaces the #answer section.
 * Nothing is stored: no cookies, no localStorage, no analytics.
 */
(function () {
  "use strict";

  var answer = document.getElementById("answer");
  var ways = document.getElementById("ways");

  function fragmentUrl() {
    var form = document.querySelector("[data-verify-form]");
    return form ? form.getAttribute("data-fragment") : "/verify/fragment";
  }

  function show(html) {
    answer.innerHTML = html;
    answer.focus({ preventScroll: true });
    answer.scrollIntoView({ block: "start" });
    var again = answer.querySelector("[data-again]");
    if (again) {
      again.addEventListener("click", function (event) {
        event.preventDefault();
        answer.innerHTML = "";
        if (location.hash) {
          history.replaceState(null, "", location.pathname + location.search);
          updateLanguageLinks();
        }
        ways.scrollIntoView({ block: "start" });
      });
    }
  }

  function submit(body) {
    answer.innerHTML = '<p class="checking" role="status"></p>';
    answer.firstChild.textContent = answer.getAttribute("data-checking");
    return fetch(fragmentUrl(), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      cache: "no-store",
    })
      .then(function (response) { return response.text(); })
      .then(show)
      .catch(function () {
        var form = document.createElement("form");
        form.method = "post";
        form.action = fragmentUrl().replace("/verify/fragment", "/verify");
        form.hidden = true;
        body.forEach(function (value, key) {
          var field = document.createElement("textarea");
          field.name = key;
          field.value = typeof value === "string" ? value : "";
          form.appendChild(field);
        });
        document.body.appendChild(form);
        form.submit();
      });
  }

  function submitQr(text) {
    var body = new FormData();
    body.append("qr", text);
    return submit(body);
  }

  /* Keep the QR payload when switching language, so the answer is shown again. */
  function updateLanguageLinks() {
    var links = document.querySelectorAll("[data-lang-link]");
    for (var i = 0; i < links.length; i++) {
      var base = links[i].getAttribute("href").split("#")[0];
      links[i].setAttribute("href", base + (location.hash || ""));
    }
  }

  document.querySelectorAll("[data-verify-form]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      submit(new FormData(form));
    });
  });

  /* --- The camera ------------------------------------------------------------------------ */
  var scan = document.querySelector("[data-scan]");
  var video = document.querySelector("[data-scan-video]");
  var view = document.querySelector("[data-scan-view]");
  var startButton = document.querySelector("[data-scan-start]");
  var stopButton = document.querySelector("[data-scan-stop]");
  var scanError = document.querySelector("[data-scan-error]");
  var stream = null;
  var timer = null;
  var detector = null;
  var canvas = document.createElement("canvas");

  function stopCamera() {
    if (timer) { clearTimeout(timer); timer = null; }
    if (stream) { stream.getTracks().forEach(function (track) { track.stop(); }); stream = null; }
    video.srcObject = null;
    view.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function found(text) {
    stopCamera();
    submitQr(text);
  }

  function decodeFrame() {
    timer = null;
    if (!stream || video.readyState < 2) { timer = setTimeout(decodeFrame, 200); return; }
    if (detector) {
      detector.detect(video).then(function (codes) {
        if (codes.length) { found(codes[0].rawValue); } else if (stream) { timer = setTimeout(decodeFrame, 150); }
      }, function () { if (stream) { timer = setTimeout(decodeFrame, 300); } });
      return;
    }
    var width = video.videoWidth, height = video.videoHeight;
    var scale = Math.min(1, 800 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR ? window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" }) : null;
    if (code && code.data) { found(code.data); } else { timer = setTimeout(decodeFrame, 150); }
  }

  function startCamera() {
    scanError.hidden = true;
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (media) {
        stream = media;
        video.srcObject = media;
        view.hidden = false;
        startButton.hidden = true;
        stopButton.hidden = false;
        return video.play();
      })
      .then(function () {
        if ("BarcodeDetector" in window) {
          try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; }
        }
        decodeFrame();
      })
      .catch(function () { stopCamera(); scanError.hidden = false; });
  }

  if (scan && navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
    scan.hidden = false;
    startButton.addEventListener("click", startCamera);
    stopButton.addEventListener("click", stopCamera);
  }

  /* --- Opened from a certificate's QR code ------------------------------------------------- */
  updateLanguageLinks();
  window.addEventListener("hashchange", function () {
    updateLanguageLinks();
    if (location.hash.length > 1) { submitQr(location.href); }
  });
  if (location.hash.length > 1) { submitQr(location.href); }
})();
