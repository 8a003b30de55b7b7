// Files in the conference chat: a participant with the file sharing right sends one with the
// "Send a file" button (the page's key from the socket authorises the upload); every file in the
// chat is a download link. The server refuses what is too big or over the conference's quota
// and says why; the page shows it.
(function () {
  'use strict';
  const root = document.getElementById('conference');
  const box = document.getElementById('chat-file-box');
  const input = document.getElementById('chat-file');
  const status = document.getElementById('chat-file-status');
  if (!root || !box || !input) return;
  const conference = root.dataset.conference;
  let files = { key: '', may_send: false, max_bytes: 0 };

  function say(message, kind) {
    status.textContent = message || '';
    status.className = message ? 'notice ' + (kind || 'info') : '';
  }

  function size(bytes) {
    if (bytes < 1000) return bytes + ' B';
    if (bytes < 1000000) return Math.round(bytes / 1000) + ' kB';
    return (bytes / 1000000).toFixed(1) + ' MB';
  }

  window.tessera = Object.assign(window.tessera || {}, {
    chatFile(file) {
      const span = document.createElement('span');
      const a = document.createElement('a');
      a.className = 'chat-file';
      a.href = '/c/' + encodeURIComponent(conference) + '/files/' + encodeURIComponent(file.id) +
        '?k=' + encodeURIComponent(files.key);
      a.setAttribute('download', file.name);
      a.textContent = file.name;
      span.appendChild(a);
      span.appendChild(document.createTextNode(' (' + size(file.size) + ')'));
      return span;
    },
  });

  document.addEventListener('tessera-files', (e) => {
    files = e.detail;
    box.hidden = !files.may_send;
  });

  input.addEventListener('change', async () => {
    const file = input.files && input.files[0];
    input.value = '';
    if (!file) return;
    if (file.size > files.max_bytes) {
      say(input.dataset.tooBig.replace('{max}', size(files.max_bytes)), 'error');
      return;
    }
    say(input.dataset.sending + ' ' + file.name);
    const url = '/c/' + encodeURIComponent(conference) + '/files?k=' + encodeURIComponent(files.key) +
      '&name=' + encodeURIComponent(file.name);
    try {
      const r = await fetch(url, { method: 'POST', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
      if (r.ok) { say(''); return; }
      const body = await r.json().catch(() => ({}));
      say(body.error || body.message || ('HTTP ' + r.status), 'error');
    } catch (err) {
      say(String(err), 'error');
    }
  });
}());
