// The slide show: the presenter opens a PDF, pdf.js (served by the server from Debian's
// libjs-pdf) renders its pages here onto a 1280×720 canvas, and the canvas is sent to the
// conference as the content stream (the same connection as a shared screen). The PDF itself
// never leaves the browser. Arrow keys or the buttons turn the pages.
(function () {
  'use strict';
  const input = document.getElementById('slides-file');
  const canvas = document.getElementById('slide-canvas');
  const controls = document.getElementById('slides-controls');
  const status = document.getElementById('slides-status');
  const pageLabel = document.getElementById('slide-page');
  if (!input || !canvas || !window.pdfjsLib) return;
  window.pdfjsLib.GlobalWorkerOptions.workerSrc = '/static/pdfjs/pdf.worker.js';
  const ctx = canvas.getContext('2d');
  let doc = null;
  let page = 1;
  let painted = null; // the rendered page, repainted so that the stream keeps sending frames
  let repaint = null;

  function say(message, kind) {
    status.textContent = message || '';
    status.className = message ? 'notice ' + (kind || 'info') : '';
  }

  async function show(n) {
    if (!doc) return;
    page = Math.min(Math.max(1, n), doc.numPages);
    const p = await doc.getPage(page);
    const base = p.getViewport({ scale: 1 });
    const scale = Math.min(canvas.width / base.width, canvas.height / base.height);
    const viewport = p.getViewport({ scale });
    const off = document.createElement('canvas');
    off.width = canvas.width;
    off.height = canvas.height;
    const octx = off.getContext('2d');
    octx.fillStyle = '#ffffff';
    octx.fillRect(0, 0, off.width, off.height);
    octx.translate((off.width - viewport.width) / 2, (off.height - viewport.height) / 2);
    await p.render({ canvasContext: octx, viewport }).promise;
    painted = off;
    ctx.drawImage(painted, 0, 0);
    pageLabel.textContent = page + ' / ' + doc.numPages;
    window.tessera.slide = { page, pages: doc.numPages };
  }

  function stop() {
    if (repaint) clearInterval(repaint);
    repaint = null;
    doc = null;
    painted = null;
    controls.hidden = true;
    window.tessera.slide = null;
    say('');
  }

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    // A new PDF ends the show running now first.
    window.tessera.stopSlides();
    stop();
    try {
      const data = new Uint8Array(await file.arrayBuffer());
      doc = await window.pdfjsLib.getDocument({ data, isEvalSupported: false, disableFontFace: true }).promise;
      await show(1);
      if (!repaint) repaint = setInterval(() => { if (painted) ctx.drawImage(painted, 0, 0); }, 200);
      await window.tessera.shareStream(canvas.captureStream(10));
      controls.hidden = false;
      say(file.name);
    } catch (e) {
      stop();
      say(String(e && e.message || e), 'error');
    }
  });

  document.getElementById('slide-prev').addEventListener('click', () => show(page - 1));
  document.getElementById('slide-next').addEventListener('click', () => show(page + 1));
  document.getElementById('slides-stop').addEventListener('click', () => { window.tessera.stopSlides(); stop(); });
  document.addEventListener('keydown', (e) => {
    if (!doc || /INPUT|TEXTAREA|SELECT/.test(document.activeElement && document.activeElement.tagName)) return;
    if (e.key === 'ArrowRight' || e.key === 'PageDown') show(page + 1);
    if (e.key === 'ArrowLeft' || e.key === 'PageUp') show(page - 1);
  });
  // The server ended the share (or the page left): the show is over.
  document.addEventListener('tessera-share-ended', (e) => { if (e.detail.kind === 'slides') stop(); });
}());
