// The conference page's in-browser client: camera and microphone to the server over WebRTC,
// the composed layout and the mix back; microphone, camera, hang-up, self-view, what the
// operator did, and the chat. Signalling is the page's WebSocket (/c/<id>/ws); the offer carries
// every ICE candidate, the answer too (no trickle).
(function () {
  'use strict';
  const root = document.getElementById('conference');
  const call = document.getElementById('call');
  if (!root || !call) return;
  // TURN relays the server gives this page (time-limited credentials), if it runs any.
  const iceServers = JSON.parse(root.dataset.ice || '[]');
  const rtcConfig = () => ({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require', iceServers });
  const form = document.getElementById('join-form');
  const status = document.getElementById('join-status');
  const notice = document.getElementById('device-notice');
  const micBtn = document.getElementById('mic');
  const camBtn = document.getElementById('cam');
  const text = (key) => call.dataset[key] || key;
  let ws = null;
  let pc = null;
  let local = null;
  let ended = false;
  let sharePc = null;
  const shareBtn = document.getElementById('share');

  function say(el, message, kind) {
    el.textContent = message || '';
    el.className = message ? 'notice ' + (kind || 'info') : '';
  }

  function gathered(conn) {
    if (conn.iceGatheringState === 'complete') return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => { if (conn.iceGatheringState === 'complete') resolve(); };
      conn.addEventListener('icegatheringstatechange', done);
      setTimeout(resolve, 3000);
    });
  }

  async function media() {
    try {
      return await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    } catch (e) {
      try { return await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e2) { return new MediaStream(); }
    }
  }

  // The shared screen is a second, send-only connection; the server shows it in the content slot.
  // A slide show (slides.js) sends its canvas the same way.
  let shareKind = null;
  async function share(given, kind) {
    const screen = given || await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
    shareKind = kind || 'screen';
    const t = screen.getVideoTracks()[0];
    sharePc = new RTCPeerConnection(rtcConfig());
    window.tessera.sharePc = sharePc;
    sharePc.addTransceiver(t, { direction: 'sendonly', streams: [screen] });
    t.addEventListener('ended', () => stopShare(true));
    await sharePc.setLocalDescription(await sharePc.createOffer());
    await gathered(sharePc);
    ws.send(JSON.stringify({ type: 'share', offer: sharePc.localDescription.sdp, slides: shareKind === 'slides' }));
  }

  function stopShare(tell) {
    if (!sharePc) return;
    sharePc.getSenders().forEach((s) => s.track && s.track.stop());
    sharePc.close();
    sharePc = null;
    window.tessera.sharePc = null;
    if (shareBtn) pressed(shareBtn, false);
    if (tell && ws) ws.send(JSON.stringify({ type: 'unshare' }));
    document.dispatchEvent(new CustomEvent('tessera-share-ended', { detail: { kind: shareKind } }));
    shareKind = null;
  }

  function cleanup() {
    stopShare(false);
    if (pc) { pc.close(); pc = null; }
    if (local) { local.getTracks().forEach((t) => t.stop()); local = null; }
    window.tessera.pc = null;
    call.hidden = true;
    if (form) form.hidden = false;
  }

  function pressed(btn, on) {
    btn.setAttribute('aria-pressed', on ? 'true' : 'false');
    btn.classList.toggle('off', !on);
  }

  function track(kind) {
    return local ? local.getTracks().find((t) => t.kind === kind) : null;
  }

  function setDevice(kind, on) {
    const t = track(kind === 'camera' ? 'video' : 'audio');
    if (t) t.enabled = on;
    pressed(kind === 'camera' ? camBtn : micBtn, on);
  }

  // The browser's devices, for the conference manager (which may choose among them).
  const deviceId = (t) => (t && t.getSettings().deviceId) || null;
  function currentDevices() {
    const remote = document.getElementById('remote');
    return { camera: deviceId(track('video')), microphone: deviceId(track('audio')), speaker: (remote && remote.sinkId) || null };
  }
  async function reportDevices() {
    if (!ws || ws.readyState !== 1 || !navigator.mediaDevices.enumerateDevices) return;
    const all = await navigator.mediaDevices.enumerateDevices();
    const clean = (s) => s.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 128);
    const pick = (kind) => all.filter((d) => d.kind === kind && d.deviceId && d.deviceId.length <= 256).slice(0, 16)
      .map((d, i) => ({ id: d.deviceId, label: clean(d.label || `${kind} ${i + 1}`) }));
    const devices = { cameras: pick('videoinput'), microphones: pick('audioinput'), speakers: pick('audiooutput'), current: currentDevices() };
    if (ws && ws.readyState === 1) ws.send(JSON.stringify({ type: 'device_list', devices }));
  }
  // The operator's choice: the new track replaces the old one on the same sender.
  async function useDevices(c) {
    const swap = async (kind, id) => {
      const constraints = kind === 'audio' ? { audio: { deviceId: { exact: id } } }
        : { video: { deviceId: { exact: id }, width: 640, height: 360 } };
      const t = (await navigator.mediaDevices.getUserMedia(constraints)).getTracks()[0];
      const old = track(kind);
      const tr = pc && pc.getTransceivers().find((x) => x.receiver.track && x.receiver.track.kind === kind);
      if (tr) await tr.sender.replaceTrack(t);
      if (old) { t.enabled = old.enabled; local.removeTrack(old); old.stop(); }
      local.addTrack(t);
    };
    try {
      if (c.camera && c.camera !== deviceId(track('video'))) await swap('video', c.camera);
      if (c.microphone && c.microphone !== deviceId(track('audio'))) await swap('audio', c.microphone);
      const remote = document.getElementById('remote');
      if (c.speaker && remote.setSinkId) await remote.setSinkId(c.speaker);
      document.getElementById('self').srcObject = local;
      say(notice, text('devicesChanged'), 'info');
    } catch (e) {
      say(notice, String(e), 'error');
    }
    reportDevices();
  }
  if (navigator.mediaDevices) navigator.mediaDevices.addEventListener('devicechange', () => reportDevices());
  // The server shows this browser's picture no larger than width x height (the largest window
  // it is in; none: shown nowhere): the camera is sent scaled down by the largest power of two
  // (at most 8) that still covers that window, so the server receives and decodes no more than
  // it shows, and the encoder changes size rarely.
  async function scaleTo(width, height) {
    const t = track('video');
    const tr = pc && pc.getTransceivers().find((x) => x.sender.track && x.sender.track.kind === 'video');
    if (!t || !tr) return;
    const s = t.getSettings();
    const cw = s.width || 640, ch = s.height || 360;
    let k = 1;
    while (k < 8 && cw / (k * 2) >= (width || 0) && ch / (k * 2) >= (height || 0)) k *= 2;
    const p = tr.sender.getParameters();
    if (!p.encodings || !p.encodings.length || p.encodings[0].scaleResolutionDownBy === k) return;
    p.encodings[0].scaleResolutionDownBy = k;
    try {
      await tr.sender.setParameters(p);
      window.tessera.sendScale = k;
    } catch (e) {
      console.warn('scaling the camera down failed', e);
    }
  }
  window.tessera = Object.assign(window.tessera || {}, { devices: currentDevices });

  function onMessage(m) {
    switch (m.type) {
      case 'joined':
        window.tessera.participant = m.participant;
        pc.setRemoteDescription({ type: 'answer', sdp: m.answer }).catch((e) => say(status, String(e), 'error'));
        if (form) form.hidden = true;
        call.hidden = false;
        say(status, text('connected'), 'ok');
        reportDevices();
        break;
      case 'use_devices':
        useDevices(m.choice);
        break;
      case 'shown_at':
        scaleTo(m.width, m.height);
        break;
      case 'podium': {
        // The request for the podium: asked, then the moderator's answer.
        const ask = document.getElementById('ask-podium');
        if (ask) {
          say(notice, ask.dataset[m.state] || m.state, m.state === 'declined' ? 'error' : 'info');
          ask.disabled = m.state === 'asked';
          ask.hidden = m.state === 'approved';
        }
        break;
      }
      case 'error': {
        say(status, m.message, 'error');
        const input = m.field && document.getElementById(m.field === 'name' ? 'guest-name' : m.field);
        if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
        break;
      }
      case 'devices':
        setDevice('camera', m.camera);
        setDevice('microphone', m.microphone);
        if (m.by_operator) {
          const off = [];
          if (!m.microphone) off.push(text('micOff'));
          if (!m.camera) off.push(text('camOff'));
          say(notice, off.join(' '), off.length ? 'error' : 'info');
          window.tessera.operator = { camera: m.camera, microphone: m.microphone };
        }
        break;
      case 'chat': {
        const li = document.createElement('li');
        const who = document.createElement('strong');
        who.textContent = m.from + ': ';
        li.appendChild(who);
        if (m.file && window.tessera.chatFile) li.appendChild(window.tessera.chatFile(m.file));
        else li.appendChild(document.createTextNode(m.text));
        document.getElementById('chat-log').appendChild(li);
        break;
      }
      case 'files':
        document.dispatchEvent(new CustomEvent('tessera-files', { detail: m }));
        break;
      case 'sharing':
        sharePc.setRemoteDescription({ type: 'answer', sdp: m.answer }).catch((e) => say(status, String(e), 'error'));
        if (shareKind === 'screen') pressed(shareBtn, true);
        break;
      case 'share_ended':
        stopShare(false);
        say(notice, text('shareEnded') + ' ' + m.reason, 'info');
        break;
      case 'ended':
        ended = true;
        say(status, text('ended') + ' ' + m.reason, 'info');
        cleanup();
        break;
    }
  }

  // The server sends the video codec the offer lists first (VP8 or H.264). Browsers list
  // their own favourite first (Safari: H.264); `?video=h264` or `?video=vp8` on the page's
  // address asks for one (H.264 lets hardware decode the picture).
  function preferVideoCodec(tr) {
    const want = new URLSearchParams(location.search).get('video');
    if (!want || !tr.setCodecPreferences || !window.RTCRtpReceiver || !RTCRtpReceiver.getCapabilities) return;
    const codecs = RTCRtpReceiver.getCapabilities('video').codecs;
    const mime = want.toLowerCase() === 'h264' ? 'video/h264' : 'video/vp8';
    const first = codecs.filter((c) => c.mimeType.toLowerCase() === mime);
    if (first.length) tr.setCodecPreferences([...first, ...codecs.filter((c) => c.mimeType.toLowerCase() !== mime)]);
  }

  async function join(as) {
    const nameInput = document.getElementById('guest-name');
    const pinInput = document.getElementById('pin');
    ended = false;
    say(status, text('joining'));
    local = await media();
    pc = new RTCPeerConnection(rtcConfig());
    window.tessera.pc = pc;
    for (const kind of ['audio', 'video']) {
      const t = track(kind);
      const tr = t ? pc.addTransceiver(t, { direction: 'sendrecv', streams: [local] })
        : pc.addTransceiver(kind, { direction: 'recvonly' });
      if (kind === 'video') preferVideoCodec(tr);
    }
    const remote = new MediaStream();
    pc.ontrack = (e) => {
      remote.addTrack(e.track);
      document.getElementById('remote').srcObject = remote;
    };
    pc.onconnectionstatechange = () => {
      if (pc && pc.connectionState === 'failed') say(status, text('failed'), 'error');
    };
    document.getElementById('self').srcObject = local;
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    ws = new WebSocket(scheme + location.host + root.dataset.ws);
    ws.onopen = () => ws.send(JSON.stringify({
      type: 'join', as,
      name: as === 'guest' && nameInput ? nameInput.value : undefined,
      pin: pinInput && as !== 'registrant' ? pinInput.value : undefined,
      token: as === 'registrant' ? linkToken() : undefined,
      offer: pc.localDescription.sdp,
    }));
    ws.onmessage = (ev) => { try { onMessage(JSON.parse(ev.data)); } catch (e) { say(status, String(e), 'error'); } };
    ws.onclose = (ev) => {
      ws = null;
      if (!ended && ev.code !== 1000 && ev.reason) say(status, ev.reason, 'error');
      if (pc) cleanup();
    };
  }

  // A webinar guest's join link: /c/<id>#t=<token> (the fragment never reaches the server's logs).
  function linkToken() {
    const m = /(?:^#|&)t=([A-Za-z0-9_-]+)/.exec(location.hash);
    return m ? m[1] : '';
  }
  const byLink = document.getElementById('registrant-join');
  const showLinkJoin = () => {
    if (!byLink || !linkToken()) return;
    byLink.hidden = false;
    const pinLabel = document.getElementById('pin') && document.getElementById('pin').closest('label');
    if (pinLabel) pinLabel.hidden = true;
  };
  showLinkJoin();
  // The link pasted into a tab that shows the page already changes only the fragment.
  window.addEventListener('hashchange', showLinkJoin);

  window.tessera = Object.assign(window.tessera || {}, { pc: null, participant: null, operator: null });
  // For slides.js: send a stream as the content, or stop (only what it started).
  window.tessera.shareStream = (stream) => {
    if (!ws) return Promise.reject(new Error('join the conference first'));
    if (sharePc) stopShare(true);
    return share(stream, 'slides');
  };
  window.tessera.stopSlides = () => { if (sharePc && shareKind === 'slides') stopShare(true); };
  for (const id of ['join-browser', 'join-guest', 'join-registrant']) {
    const b = document.getElementById(id);
    if (b) b.addEventListener('click', () => { if (!pc) join(b.dataset.as).catch((e) => say(status, String(e), 'error')); });
  }
  // A call opens its room with ?join=1: the signed-in user's page joins at once.
  const joinAtOnce = document.getElementById('join-browser');
  if (joinAtOnce && new URLSearchParams(location.search).get('join') === '1') joinAtOnce.click();
  micBtn.addEventListener('click', () => {
    const on = micBtn.getAttribute('aria-pressed') !== 'true';
    setDevice('microphone', on);
    if (ws) ws.send(JSON.stringify({ type: 'devices', microphone: on }));
  });
  camBtn.addEventListener('click', () => {
    const on = camBtn.getAttribute('aria-pressed') !== 'true';
    setDevice('camera', on);
    if (ws) ws.send(JSON.stringify({ type: 'devices', camera: on }));
  });
  if (shareBtn) {
    shareBtn.addEventListener('click', () => {
      if (sharePc) stopShare(true);
      else if (ws) share().catch((e) => { stopShare(false); say(status, String(e), 'error'); });
    });
  }
  // The layout this participant sees ('' : the conference's); refused when the moderator
  // locked it.
  const myLayout = document.getElementById('my-layout');
  if (myLayout) {
    myLayout.addEventListener('change', () => {
      if (ws) ws.send(JSON.stringify({ type: 'layout', kind: myLayout.value || null }));
    });
  }
  const askPodium = document.getElementById('ask-podium');
  if (askPodium) askPodium.addEventListener('click', () => { if (ws) ws.send(JSON.stringify({ type: 'ask_podium' })); });
  document.getElementById('hangup').addEventListener('click', () => {
    ended = true;
    if (ws) ws.send(JSON.stringify({ type: 'leave' }));
    cleanup();
    say(status, text('left'));
  });
  document.getElementById('chat-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const input = document.getElementById('chat-text');
    if (ws && input.value.trim()) ws.send(JSON.stringify({ type: 'chat', text: input.value }));
    input.value = '';
  });
}());
