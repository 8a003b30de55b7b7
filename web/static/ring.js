// Calls on every page of a signed-in user: the page keeps a socket (/me/ws) on which the server
// rings it (Accept, Decline) and tells a caller how the call goes (Cancel while it rings). The
// Calls page's "Make a call" form starts a call and opens its room, where the caller's page
// joins at once (?join=1).
(function () {
  'use strict';
  const texts = document.getElementById('ring-texts');
  const csrf = document.querySelector('meta[name="tessera-csrf"]');
  if (!texts || !csrf) return;
  const t = (key, name) => (texts.dataset[key] || key).replace('{name}', name || '');
  const post = (url, body) => fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf.content },
    body: body ? JSON.stringify(body) : undefined,
  });
  const joinUrl = (conference) => '/c/' + encodeURIComponent(conference) + '?join=1';

  // One banner per call, at the top of the page.
  const banners = new Map();
  function banner(call, role) {
    let b = banners.get(call);
    if (!b) {
      b = document.createElement('section');
      b.className = 'ring card';
      b.id = (role === 'incoming' ? 'ringing-' : 'calling-') + call;
      b.setAttribute('role', role === 'incoming' ? 'alertdialog' : 'status');
      b.setAttribute('aria-live', 'assertive');
      document.body.insertBefore(b, document.body.firstChild.nextSibling);
      banners.set(call, b);
    }
    b.textContent = '';
    return b;
  }
  function button(label, cls, onClick) {
    const btn = document.createElement('button');
    btn.type = 'button';
    btn.className = cls;
    btn.textContent = label;
    btn.addEventListener('click', onClick);
    return btn;
  }
  function close(call, after) {
    const b = banners.get(call);
    if (!b) return;
    setTimeout(() => { b.remove(); banners.delete(call); }, after || 0);
  }
  function text(b, message) {
    const p = document.createElement('p');
    p.textContent = message;
    b.appendChild(p);
  }

  function onNotice(m) {
    if (m.type === 'ring') {
      const b = banner(m.call, 'incoming');
      text(b, t('incoming', m.from));
      b.appendChild(button(t('accept'), 'accept', async () => {
        const r = await post('/api/v1/me/calls/' + m.call + '/answer');
        if (r.ok) location.href = joinUrl((await r.json()).conference);
        else close(m.call);
      }));
      b.appendChild(document.createTextNode(' '));
      b.appendChild(button(t('decline'), 'decline danger', async () => {
        await post('/api/v1/me/calls/' + m.call + '/decline');
        close(m.call);
      }));
    } else if (m.type === 'ring_ended') {
      // Answered here, on another page or on the phone; declined; or not answered in time.
      close(m.call);
    } else if (m.type === 'calling') {
      const b = banner(m.call, 'outgoing');
      b.dataset.state = m.state;
      if (m.state === 'ringing') {
        text(b, t('calling', m.to));
        b.appendChild(button(t('cancel'), 'cancel', () => post('/api/v1/me/calls/' + m.call + '/cancel')));
      } else {
        text(b, t(m.state, m.to));
        close(m.call, 8000);
      }
    }
  }

  let retry = 1000;
  function connect() {
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/me/ws');
    ws.addEventListener('open', () => { retry = 1000; });
    ws.addEventListener('message', (e) => { try { onNotice(JSON.parse(e.data)); } catch (err) { /* not ours */ } });
    ws.addEventListener('close', () => { setTimeout(connect, retry); retry = Math.min(retry * 2, 30000); });
  }
  connect();

  const form = document.getElementById('make-call');
  if (form) {
    const status = document.getElementById('make-call-status');
    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      const to = document.getElementById('call-to').value.trim();
      const r = await post('/api/v1/me/calls', { to });
      const body = await r.json().catch(() => ({}));
      if (r.ok) { location.href = joinUrl(body.conference); return; }
      status.textContent = body.error || ('HTTP ' + r.status);
      status.className = 'notice error';
    });
  }
}());
