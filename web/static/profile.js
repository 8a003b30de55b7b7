// Profile page: take an avatar with the webcam or upload one; both PUT /api/v1/me/avatar.
(function () {
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const status = document.getElementById('avatar-status');
  const img = document.getElementById('avatar-img');
  const camera = document.getElementById('camera');
  const video = document.getElementById('camera-video');
  let stream = null;

  async function upload(blob) {
    const r = await fetch('/api/v1/me/avatar', {
      method: 'PUT', body: blob, credentials: 'same-origin',
      headers: { 'Content-Type': blob.type, 'X-CSRF-Token': csrf },
    });
    if (r.ok) {
      status.textContent = status.dataset.saved;
      status.className = 'notice ok';
      img.src = '/api/v1/me/avatar?t=' + Date.now();
      img.hidden = false;
    } else {
      let msg = r.status + '';
      try { msg = (await r.json()).error; } catch (e) { /* not JSON */ }
      status.textContent = msg;
      status.className = 'notice error';
    }
  }

  document.getElementById('make-photo').addEventListener('click', async () => {
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: false });
      video.srcObject = stream;
      camera.hidden = false;
    } catch (e) {
      status.textContent = status.dataset.cameraError + ' ' + e.message;
      status.className = 'notice error';
    }
  });

  document.getElementById('take-photo').addEventListener('click', () => {
    const side = Math.min(video.videoWidth, video.videoHeight) || 240;
    const canvas = document.createElement('canvas');
    canvas.width = 256; canvas.height = 256;
    const sx = (video.videoWidth - side) / 2, sy = (video.videoHeight - side) / 2;
    canvas.getContext('2d').drawImage(video, sx, sy, side, side, 0, 0, 256, 256);
    if (stream) { stream.getTracks().forEach(t => t.stop()); stream = null; }
    camera.hidden = true;
    canvas.toBlob(b => upload(b), 'image/jpeg', 0.9);
  });

  document.getElementById('upload').addEventListener('change', (ev) => {
    const f = ev.target.files[0];
    if (f) upload(f);
  });

  const remove = document.getElementById('remove-avatar');
  if (remove) remove.addEventListener('click', async () => {
    const r = await fetch('/api/v1/me/avatar', { method: 'DELETE', headers: { 'X-CSRF-Token': csrf } });
    if (r.ok) location.reload();
  });
})();
