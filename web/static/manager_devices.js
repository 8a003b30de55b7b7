// The conference manager's panel of devices attached to the server (operators): the attachments
// stored with the conference (attach, detach), and for a camera in the conference its pan, tilt,
// zoom and focus with presets. The live state comes from manager.js ('tessera-state' events).
(() => {
  'use strict';
  const root = document.getElementById('manager');
  const panel = document.getElementById('m-server-devices');
  if (!root || !panel) return;
  const $ = (id) => document.getElementById(id);
  const conf = encodeURIComponent(root.dataset.id);
  const cam = $('m-camera');
  const base = `/api/v1/conferences/${conf}/devices`;
  let state = null;
  let cameraOf = null; // the participant whose camera is shown

  async function call(method, url, body) {
    const r = await fetch(url, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': root.dataset.csrf },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) throw new Error((data && data.error) || `HTTP ${r.status}`);
    return data;
  }
  const say = (el, text, error) => { el.textContent = text || ''; el.classList.toggle('error', !!error); };

  function option(value, label) {
    const o = document.createElement('option');
    o.value = value; o.textContent = label;
    return o;
  }

  async function loadAvailable() {
    try {
      const have = await call('GET', '/api/v1/devices');
      const none = cam.dataset.noDevice;
      for (const [kind, list] of [['camera', have.cameras], ['microphone', have.microphones], ['speaker', have.speakers]]) {
        $(`m-sd-${kind}`).replaceChildren(option('', none), ...list.map((d) => option(d.id, `${d.label} (${d.id})`)));
      }
    } catch (e) { say($('m-sd-status'), e.message, true); }
  }

  async function loadAttached() {
    let list = [];
    try { list = await call('GET', base); } catch (e) { say($('m-sd-status'), e.message, true); return; }
    const ul = $('m-sd-list');
    ul.replaceChildren();
    if (!list.length) { const li = document.createElement('li'); li.className = 'muted'; li.textContent = panel.dataset.none; ul.append(li); }
    for (const a of list) {
      const li = document.createElement('li');
      li.dataset.id = String(a.id);
      const what = [a.camera, a.microphone, a.speaker].filter(Boolean);
      if (!a.echo_cancellation && a.microphone && a.speaker) what.push(panel.dataset.echoOff);
      if (a.start_room) what.push(panel.dataset.starts);
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'secondary detach'; b.textContent = panel.dataset.detach;
      b.addEventListener('click', async () => {
        try { await call('DELETE', `${base}/${a.id}`); say($('m-sd-status'), ''); } catch (e) { say($('m-sd-status'), e.message, true); }
        loadAttached();
      });
      li.append(`${a.name} — ${what.join(', ')} `, b);
      ul.append(li);
    }
  }

  $('m-sd-attach').addEventListener('click', async () => {
    const body = { name: $('m-sd-name').value, echo_cancellation: $('m-sd-echo').checked, start_room: $('m-sd-start').checked };
    for (const kind of ['camera', 'microphone', 'speaker']) if ($(`m-sd-${kind}`).value) body[kind] = $(`m-sd-${kind}`).value;
    try {
      await call('POST', base, body);
      say($('m-sd-status'), '✓');
      $('m-sd-name').value = '';
    } catch (e) { say($('m-sd-status'), e.message, true); }
    loadAttached();
  });

  // The camera panel: one slider per control the camera has, and its presets.
  function renderCamera() {
    const p = state && state.participants.find((x) => x.id === cameraOf);
    if (!p || !p.camera_controls || !p.camera_controls.length) { cam.hidden = true; return; }
    cam.hidden = false;
    $('m-camera-name').textContent = p.name;
    const box = $('m-camera-controls');
    // Not while the operator drags a slider: the pushed state would pull it back.
    if (box.contains(document.activeElement)) return;
    box.replaceChildren();
    for (const c of p.camera_controls) {
      const label = document.createElement('label');
      const range = document.createElement('input');
      range.type = 'range'; range.min = String(c.min); range.max = String(c.max); range.step = String(Math.max(1, c.step));
      range.value = String(c.value); range.className = `camera-${c.control}`;
      range.addEventListener('change', async () => {
        try {
          await call('POST', `/api/v1/conferences/${conf}/live`, { action: 'camera_control', participant: p.id, control: c.control, value: Number(range.value) });
          say($('m-camera-status'), '');
        } catch (e) { say($('m-camera-status'), e.message, true); }
      });
      label.append(cam.dataset[c.control] || c.control, ' ', range);
      box.append(label, ' ');
    }
    $('m-camera-save').disabled = p.attachment == null;
  }

  async function loadPresets() {
    const p = state && state.participants.find((x) => x.id === cameraOf);
    const ul = $('m-camera-presets');
    ul.replaceChildren();
    if (!p || p.attachment == null) return;
    let list = [];
    try { list = await call('GET', `${base}/${p.attachment}/presets`); } catch (e) { say($('m-camera-status'), e.message, true); return; }
    for (const preset of list) {
      const li = document.createElement('li');
      const url = `${base}/${p.attachment}/presets/${encodeURIComponent(preset.name)}`;
      const go = document.createElement('button');
      go.type = 'button'; go.className = 'secondary recall'; go.textContent = cam.dataset.recall;
      go.addEventListener('click', async () => {
        try { await call('POST', `${url}/recall`); say($('m-camera-status'), '✓'); } catch (e) { say($('m-camera-status'), e.message, true); }
      });
      const forget = document.createElement('button');
      forget.type = 'button'; forget.className = 'secondary forget'; forget.textContent = cam.dataset.forget;
      forget.addEventListener('click', async () => {
        try { await call('DELETE', url); } catch (e) { say($('m-camera-status'), e.message, true); }
        loadPresets();
      });
      li.append(`${preset.name} `, go, ' ', forget);
      ul.append(li);
    }
  }

  $('m-camera-save').addEventListener('click', async () => {
    const p = state && state.participants.find((x) => x.id === cameraOf);
    const name = $('m-camera-preset-name').value.trim();
    if (!p || p.attachment == null) return;
    try {
      await call('PUT', `${base}/${p.attachment}/presets/${encodeURIComponent(name)}`);
      say($('m-camera-status'), '✓');
      $('m-camera-preset-name').value = '';
    } catch (e) { say($('m-camera-status'), e.message, true); }
    loadPresets();
  });

  // Each camera attached to the server gets a Camera button in the roster.
  window.addEventListener('tessera-state', (ev) => {
    const before = state;
    state = ev.detail;
    for (const p of state.participants) {
      if (!p.camera_controls || !p.camera_controls.length) continue;
      const actions = document.querySelector(`#m-roster tr[data-id="${p.id}"] .controls`);
      if (!actions || actions.querySelector('.camera')) continue;
      const b = document.createElement('button');
      b.type = 'button'; b.className = 'secondary camera'; b.textContent = cam.dataset.button;
      b.addEventListener('click', () => { cameraOf = p.id; renderCamera(); loadPresets(); cam.scrollIntoView({ block: 'nearest' }); });
      actions.append(' ', b);
    }
    renderCamera();
    // Stored attachments join and leave as the conference starts, ends, or they are detached.
    const ids = (s) => (s ? s.participants.filter((p) => p.kind === 'local').map((p) => p.id).join() : '');
    if (ids(before) !== ids(state) || (before && before.running !== state.running)) loadAttached();
  });

  loadAvailable();
  loadAttached();
})();
