// Recording in the client (the "Conference recording" right): what this participant sees and
// hears — the conference's picture and sound as the server sends them — recorded by the
// browser's MediaRecorder into a WebM file that is saved on this computer. Nothing is uploaded.
(function () {
  'use strict';
  const btn = document.getElementById('record');
  if (!btn || typeof MediaRecorder === 'undefined') {
    if (btn) btn.hidden = true;
    return;
  }
  let recorder = null;
  let chunks = [];
  const label = { start: btn.textContent, stop: btn.dataset.stop || 'Stop recording' };
  const type = ['video/webm;codecs=vp8,opus', 'video/webm'].find((t) => MediaRecorder.isTypeSupported(t)) || '';

  function save() {
    const blob = new Blob(chunks, { type: 'video/webm' });
    chunks = [];
    const a = document.createElement('a');
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    a.href = URL.createObjectURL(blob);
    a.download = `tessera-${btn.dataset.conference || 'conference'}-${stamp}.webm`;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 10000);
  }

  function stop() {
    if (recorder && recorder.state !== 'inactive') recorder.stop();
  }

  btn.addEventListener('click', () => {
    if (recorder) { stop(); return; }
    const remote = document.getElementById('remote');
    const stream = remote && remote.srcObject;
    if (!stream || stream.getTracks().length === 0) return;
    recorder = new MediaRecorder(new MediaStream(stream.getTracks()), type ? { mimeType: type } : {});
    recorder.ondataavailable = (e) => { if (e.data && e.data.size) chunks.push(e.data); };
    recorder.onstop = () => {
      recorder = null;
      btn.textContent = label.start;
      btn.setAttribute('aria-pressed', 'false');
      save();
    };
    recorder.start(1000);
    btn.textContent = label.stop;
    btn.setAttribute('aria-pressed', 'true');
  });
  // Hanging up ends the recording and saves what there is.
  const hangup = document.getElementById('hangup');
  if (hangup) hangup.addEventListener('click', stop, true);
}());
