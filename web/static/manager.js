// The conference manager: the live state comes over the page's WebSocket; every change goes
// through the JSON control API. The layout being edited is kept while the state updates, and is
// applied with the layout version it was loaded from (a stale one is refused by the server).
(() => {
  'use strict';
  const root = document.getElementById('manager');
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const id = root.dataset.id;
  const csrf = root.dataset.csrf;
  const roster = $('m-roster');
  const rt = (k) => roster.dataset[k] || k;
  let state = null;
  // Each participant's link (RTCP loss and jitter, the rate it sends at), by id.
  let links = {};
  let edit = null; // { scope, layout, version }
  let dirty = false;
  const selected = new Set();
  // The name being typed in the roster ({ id, input }): kept across the re-renders that every
  // pushed state causes, so an operator's typing is never thrown away.
  let renaming = null;
  window.tesseraManager = { state: () => state, edit: () => edit };

  function showError(msg) {
    $('m-error').textContent = msg || '';
    $('m-error').hidden = !msg;
  }

  // `onConflict` runs before a 409 is shown (the layout panel reloads the current layouts).
  async function api(body, onConflict) {
    const r = await fetch(`/api/v1/conferences/${encodeURIComponent(id)}/live`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
      body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (r.status === 409 && onConflict) await onConflict();
    if (!r.ok) {
      showError(data.error || `HTTP ${r.status}`);
      const e = new Error(data.error || `HTTP ${r.status}`);
      e.status = r.status;
      throw e;
    }
    showError('');
    update(data);
    return data;
  }
  const act = (body) => api(body).catch(() => {});

  // Scopes: '' (all), 'group:sip_h323', 'group:web_rtc', 'participant:<id>'; the API reads
  // "all", {"group": …} and {"participant": id}.
  const scopeJson = (s) => {
    if (!s) return 'all';
    const [kind, target] = s.split(':');
    return kind === 'group' ? { group: target } : { participant: Number(target) };
  };
  function layoutOf(s) {
    const l = state.layouts;
    const base = l.all;
    if (!s) return base;
    const [kind, target] = s.split(':');
    if (kind === 'group') return (l.groups || {})[target] || base;
    const p = state.participants.find((x) => String(x.id) === target);
    const group = p && p.group ? (l.groups || {})[p.group] : null;
    return (l.participants || {})[target] || group || base;
  }
  function loadLayout() {
    const scope = $('m-scope') ? $('m-scope').value : '';
    const l = JSON.parse(JSON.stringify(layoutOf(scope) || {}));
    l.slots = l.slots || [];
    edit = { scope, layout: l, version: state.layout_version || 0 };
    dirty = false;
    if (!$('m-kind')) return;
    $('m-kind').value = l.kind || 'grid';
    $('m-windows').value = l.windows || 4;
    $('m-content').checked = !!l.content_slot;
    $('m-names').value = l.name_position || 'bottom';
    $('m-locked').checked = !!l.locked;
    $('m-auto').checked = l.slots.every((x) => x.kind === 'auto');
    // The layout for everyone follows the number of participants until someone applies one.
    if ($('m-adaptive')) $('m-adaptive').hidden = !(state.adaptive && !scope);
  }
  const nameOf = (pid) => {
    const p = state && state.participants.find((x) => x.id === pid);
    return p ? p.name : `#${pid}`;
  };

  // Who each window shows is the server's decision (the conference core, which the media plane
  // follows): the applied layout for everyone comes with the state; a draft, or another scope's
  // layout, is previewed by asking the server, and the panel redraws when the answer comes.
  let preview = { key: '', shown: [] };
  let previewAsked = '';
  function draftLayout(slots) {
    return {
      kind: $('m-kind').value,
      windows: slots.length,
      content_slot: $('m-content').checked,
      slots,
      name_position: $('m-names').value,
      locked: $('m-locked').checked,
      fit: (edit && edit.layout.fit) || 'fit',
    };
  }
  function shownIn(slots) {
    if (!edit.scope && !dirty && Array.isArray(state.shown) && state.shown.length === slots.length) return state.shown;
    const layout = draftLayout(slots);
    const key = JSON.stringify([layout, state.participants.map((p) => [p.id, p.on_podium]), state.active_speaker, state.layout_version]);
    if (preview.key === key) return preview.shown;
    if (previewAsked !== key && state.running) {
      previewAsked = key;
      fetch(`/api/v1/conferences/${encodeURIComponent(id)}/live`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ action: 'preview', layout }),
      }).then((r) => (r.ok ? r.json() : null)).then((data) => {
        if (!data || previewAsked !== key) return;
        preview = { key, shown: data.shown || [] };
        renderGrid();
      }).catch(() => {});
    }
    return preview.shown.length === slots.length ? preview.shown : slots.map(() => null);
  }
  window.tesseraManagerShown = () => (edit ? shownIn($('m-auto').checked ? edit.layout.slots.map(() => ({ kind: 'auto' })) : edit.layout.slots) : []);

  function renderGrid() {
    const grid = $('m-grid');
    if (!grid || !edit) return;
    const n = Math.max(1, Math.min(25, Number($('m-windows').value) || 1));
    const slots = edit.layout.slots;
    while (slots.length < n) slots.push({ kind: 'auto' });
    slots.length = n;
    const auto = $('m-auto').checked;
    // The grid is drawn anew (also when the server's preview arrives): the keyboard's place in
    // it is kept.
    const active = grid.contains(document.activeElement) ? document.activeElement : null;
    const kept = active && {
      slot: active.closest('.pane')?.dataset.slot,
      cls: ['slot-select', 'earlier', 'later', 'enlarge'].find((c) => active.classList.contains(c)),
    };
    grid.replaceChildren();
    grid.style.gridTemplateColumns = `repeat(${Math.ceil(Math.sqrt(n))}, 1fr)`;
    const shown = shownIn(auto ? slots.map(() => ({ kind: 'auto' })) : slots);
    slots.forEach((slot, i) => {
      const pane = document.createElement('div');
      pane.className = 'pane';
      pane.dataset.slot = String(i);
      pane.draggable = !auto;
      const head = document.createElement('strong');
      head.textContent = String(i + 1);
      const sel = document.createElement('select');
      sel.className = 'slot-select';
      sel.disabled = auto;
      sel.setAttribute('aria-label', `${grid.dataset.window} ${i + 1}`);
      const opts = [['auto', grid.dataset.auto], ['empty', grid.dataset.empty],
        ...state.participants.map((p) => [`p:${p.id}`, p.name])];
      for (const [v, label] of opts) {
        const o = document.createElement('option'); o.value = v; o.textContent = label; sel.append(o);
      }
      sel.value = slot.kind === 'participant' ? `p:${slot.participant}` : slot.kind;
      sel.addEventListener('change', () => {
        slots[i] = sel.value.startsWith('p:') ? { kind: 'participant', participant: Number(sel.value.slice(2)) } : { kind: sel.value };
        dirty = true;
        renderGrid();
      });
      pane.append(head, ' ', sel);
      // Controls for whoever the window shows, assigned or filled automatically.
      const p = shown[i] == null ? null : state.participants.find((x) => x.id === shown[i]);
      if (p && (auto || slot.kind === 'auto')) {
        const who = document.createElement('span');
        who.className = 'shown muted';
        who.textContent = ` ${p.name}`;
        pane.append(who);
      }
      if (p && $('m-show-controls').checked) pane.append(controls(p, true));
      pane.addEventListener('dragstart', (e) => { e.dataTransfer.setData('text/plain', String(i)); });
      pane.addEventListener('dragover', (e) => e.preventDefault());
      pane.addEventListener('drop', (e) => {
        e.preventDefault();
        const from = Number(e.dataTransfer.getData('text/plain'));
        if (Number.isNaN(from) || from === i) return;
        [slots[from], slots[i]] = [slots[i], slots[from]];
        dirty = true;
        renderGrid();
      });
      // Swapping two windows, and making one the large one: by mouse (drag and drop, double
      // click) and by keyboard (the buttons, which move the focus with the window).
      const swap = (to, focusClass) => {
        [slots[to], slots[i]] = [slots[i], slots[to]];
        dirty = true;
        renderGrid();
        const b = grid.querySelector(`[data-slot="${to}"] .${focusClass}:enabled`) || grid.querySelector(`[data-slot="${to}"] .slot-select`);
        if (b) b.focus();
      };
      const enlarge = () => {
        if ($('m-kind').value === 'grid' || $('m-kind').value === 'row') $('m-kind').value = 'one_large_beside';
        swap(0, 'enlarge');
      };
      pane.addEventListener('dblclick', () => { if (!auto) enlarge(); });
      if (!auto && n > 1) {
        const keys = document.createElement('span');
        keys.className = 'window-keys';
        const small = (text, label, cls, onClick, disabled) => {
          const b = button(text, cls, onClick);
          b.setAttribute('aria-label', `${label} (${grid.dataset.window} ${i + 1})`);
          b.title = label;
          b.disabled = disabled;
          return b;
        };
        keys.append(' ',
          small('←', grid.dataset.earlier, 'earlier', () => swap(i - 1, 'earlier'), i === 0), ' ',
          small('→', grid.dataset.later, 'later', () => swap(i + 1, 'later'), i === n - 1), ' ',
          small('⤢', grid.dataset.enlarge, 'enlarge', enlarge, i === 0));
        pane.append(keys);
      }
      grid.append(pane);
    });
    if (kept && kept.cls) {
      const el = grid.querySelector(`[data-slot="${kept.slot}"] .${kept.cls}:enabled`)
        || grid.querySelector(`[data-slot="${kept.slot}"] .slot-select`);
      if (el) el.focus();
    }
  }

  function button(label, cls, onClick, pressed) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = `secondary ${cls}`;
    b.textContent = label;
    if (pressed !== undefined) b.setAttribute('aria-pressed', String(pressed));
    b.addEventListener('click', onClick);
    return b;
  }

  function controls(p, compact) {
    const span = document.createElement('span');
    span.className = 'controls';
    span.append(
      button(`${rt('cam')} ${p.camera ? rt('on') : rt('off')}`, 'cam', () => act({ action: 'device', participant: p.id, camera: !p.camera }), p.camera), ' ',
      button(`${rt('mic')} ${p.microphone ? rt('on') : rt('off')}`, 'mic', () => act({ action: 'device', participant: p.id, microphone: !p.microphone }), p.microphone), ' ',
      button(rt('remove'), 'remove', () => act({ action: 'remove', participant: p.id })),
    );
    if (!compact) {
      span.append(' ', button(rt('rename'), 'rename', () => rename(p)));
      if (state.mode === 'role_based') {
        span.append(' ', button(p.on_podium ? rt('podiumOff') : rt('podiumOn'), 'podium', () => act({ action: 'podium', participant: p.id, on: !p.on_podium })));
      }
      span.append(' ', button(p.moderator ? rt('moderatorOff') : rt('moderatorOn'), 'moderator', () => act({ action: 'moderator', participant: p.id, on: !p.moderator })));
      // Browsers let the operator choose their camera, microphone and speaker.
      if (p.kind === 'webrtc') span.append(' ', button(rt('devices'), 'devices', () => openDevices(p)));
      if ($('m-scope')) {
        span.append(' ', button(rt('individual'), 'individual', () => { $('m-scope').value = `participant:${p.id}`; loadLayout(); renderGrid(); }));
      }
    }
    return span;
  }

  // A browser participant's devices: what its page reported, the current ones selected.
  let devicesOf = null;
  const devicesUrl = (pid) => `/api/v1/conferences/${encodeURIComponent(id)}/participants/${pid}/devices`;
  async function openDevices(p) {
    devicesOf = p.id;
    $('m-devices-name').textContent = p.name;
    $('m-dev-status').textContent = '';
    const r = await fetch(devicesUrl(p.id));
    const data = await r.json().catch(() => ({}));
    if (!r.ok) { showError(data.error || `HTTP ${r.status}`); $('m-devices').hidden = true; return; }
    showError('');
    for (const [kind, list] of [['camera', data.cameras], ['microphone', data.microphones], ['speaker', data.speakers]]) {
      const sel = $(`m-dev-${kind}`);
      sel.replaceChildren(...list.map((d) => { const o = document.createElement('option'); o.value = d.id; o.textContent = d.label; return o; }));
      if (data.current[kind]) sel.value = data.current[kind];
      sel.disabled = !list.length;
    }
    $('m-devices').hidden = false;
  }
  $('m-dev-apply').addEventListener('click', async () => {
    if (devicesOf == null) return;
    const body = {};
    for (const kind of ['camera', 'microphone', 'speaker']) if ($(`m-dev-${kind}`).value) body[kind] = $(`m-dev-${kind}`).value;
    const r = await fetch(devicesUrl(devicesOf), {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': csrf }, body: JSON.stringify(body),
    });
    const data = r.ok ? {} : await r.json().catch(() => ({}));
    $('m-dev-status').textContent = r.ok ? '✓' : (data.error || `HTTP ${r.status}`);
  });

  // The participant's name in the layout being edited only.
  function rename(p) {
    const row = roster.querySelector(`tr[data-id="${p.id}"] td.name`);
    if (!row || row.querySelector('input')) return;
    const input = document.createElement('input');
    input.type = 'text'; input.maxLength = 64; input.className = 'rename-input';
    input.value = (edit && edit.layout.display_names && edit.layout.display_names[p.id]) || p.name;
    row.replaceChildren(input);
    input.focus();
    renaming = { id: p.id, input };
    const done = (save) => {
      renaming = null;
      if (save) act({ action: 'rename', scope: scopeJson(edit ? edit.scope : ''), participant: p.id, name: input.value.trim() || null });
      else renderRoster();
    };
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter') done(true); if (e.key === 'Escape') done(false); });
  }

  function renderRoster() {
    const body = roster.querySelector('tbody');
    const typing = renaming && {
      ...renaming, focused: document.activeElement === renaming.input,
      from: renaming.input.selectionStart, to: renaming.input.selectionEnd,
    };
    body.replaceChildren();
    const ids = new Set(state.participants.map((p) => p.id));
    for (const s of [...selected]) if (!ids.has(s)) selected.delete(s);
    $('m-count').textContent = `(${state.participants.length})`;
    for (const p of state.participants) {
      const tr = document.createElement('tr');
      tr.dataset.id = String(p.id);
      const sel = document.createElement('td');
      const box = document.createElement('input');
      box.type = 'checkbox'; box.className = 'select'; box.checked = selected.has(p.id);
      box.addEventListener('change', () => { if (box.checked) selected.add(p.id); else selected.delete(p.id); });
      sel.append(box);
      const name = document.createElement('td'); name.className = 'name'; name.textContent = p.name;
      if (typing && typing.id === p.id) {
        // The same input, with what was typed (its focus and caret once it is in the page).
        name.replaceChildren(typing.input);
      }
      const kind = document.createElement('td');
      kind.textContent = [p.kind, p.group, p.moderator ? '★' : '', p.on_podium ? '🎤' : ''].filter(Boolean).join(' · ');
      // Whether its media is encrypted (a browser, or a SIP phone with SRTP); synthetic
      // participants and devices attached to the server have no network media.
      if (p.kind !== 'synthetic' && p.kind !== 'local') {
        const lock = document.createElement('span');
        lock.className = p.encrypted ? 'media-encrypted' : 'media-plain';
        lock.textContent = p.encrypted ? `🔒 ${rt('encrypted')}` : rt('plain');
        kind.append(' · ', lock);
      }
      // How its media travels: what its RTCP reports say of Tessera's, what it sends.
      const l = links[p.id];
      if (l) {
        const figures = [];
        if (l.loss_percent != null) figures.push(`${rt('loss')} ${l.loss_percent.toFixed(1)} %`);
        if (l.jitter_ms != null) figures.push(`${rt('jitter')} ${Math.round(l.jitter_ms)} ms`);
        if (l.round_trip_ms != null) figures.push(`RTT ${Math.round(l.round_trip_ms)} ms`);
        if (l.receive_kbps != null) figures.push(`${Math.round(l.receive_kbps)} kbit/s`);
        // A slow link gets a lower quality tier of its layout (a smaller picture).
        if (l.video_tier === 'half') figures.push(rt('tierHalf'));
        if (l.video_tier === 'quarter') figures.push(rt('tierQuarter'));
        if (figures.length) {
          const link = document.createElement('span');
          link.className = 'link-figures';
          link.textContent = figures.join(' · ');
          kind.append(document.createElement('br'), link);
        }
      }
      const cam = document.createElement('td'); cam.className = 'cam-state'; cam.textContent = p.camera ? rt('on') : rt('off');
      const mic = document.createElement('td'); mic.className = 'mic-state'; mic.textContent = p.microphone ? rt('on') : rt('off');
      const gain = document.createElement('td');
      const range = document.createElement('input');
      range.type = 'range'; range.min = '0'; range.max = '4'; range.step = '0.1'; range.value = String(p.gain); range.className = 'gain';
      range.addEventListener('change', () => act({ action: 'device', participant: p.id, gain: Number(range.value) }));
      gain.append(range);
      const actions = document.createElement('td');
      actions.append(controls(p, false));
      tr.append(sel, name, kind, cam, mic, gain, actions);
      body.append(tr);
    }
    if (typing && !ids.has(typing.id)) renaming = null;
    else if (typing && typing.focused) { typing.input.focus(); typing.input.setSelectionRange(typing.from, typing.to); }
    renderRequests();
  }

  // Role-based: the requests for the podium, oldest first, each with Approve and Decline.
  function renderRequests() {
    const box = $('m-requests');
    const list = $('m-request-list');
    const asked = state.podium_requests || [];
    list.replaceChildren();
    box.hidden = asked.length === 0;
    for (const pid of asked) {
      const p = state.participants.find((x) => x.id === pid);
      const li = document.createElement('li');
      li.dataset.id = String(pid);
      li.append(p ? p.name : `#${pid}`, ' ',
        button(box.dataset.approve, 'approve', () => act({ action: 'answer_podium', participant: pid, approve: true })), ' ',
        button(box.dataset.decline, 'decline', () => act({ action: 'answer_podium', participant: pid, approve: false })));
      list.append(li);
    }
  }

  function renderScopes() {
    const s = $('m-scope');
    if (!s) return;
    const keep = s.value;
    s.replaceChildren();
    const opts = [['', s.dataset.all], ['group:sip_h323', s.dataset.sip], ['group:web_rtc', s.dataset.webrtc],
      ...state.participants.map((p) => [`participant:${p.id}`, p.name])];
    for (const [v, label] of opts) {
      const o = document.createElement('option'); o.value = v; o.textContent = label; s.append(o);
    }
    s.value = opts.some(([v]) => v === keep) ? keep : '';
  }

  function update(s) {
    if (!s) return;
    const scopeBefore = $('m-scope') ? $('m-scope').value : '';
    state = s;
    $('m-status').textContent = s.running ? root.dataset.running : root.dataset.notRunning;
    $('m-rtsp').textContent = s.rtsp_url || '—';
    $('m-multicast').textContent = s.multicast || '—';
    // Streaming to a platform: where (never the key), and how it goes.
    const st = $('m-stream');
    if (s.stream) {
      const word = st.dataset[s.stream.state] || s.stream.state;
      st.textContent = s.stream.target + ' — ' + word + (s.stream.error ? ' (' + s.stream.error + ')' : '');
    } else {
      st.textContent = '—';
    }
    renderRoster();
    renderScopes();
    // Keep what the operator is editing; otherwise show the layout as it is now.
    const scopeNow = $('m-scope') ? $('m-scope').value : '';
    if (!dirty || !edit || scopeNow !== scopeBefore) loadLayout();
    renderGrid();
    // Other panels of the page (the server's devices) follow the state too.
    window.dispatchEvent(new CustomEvent('tessera-state', { detail: s }));
  }

  function tickDuration() {
    if (state && state.running && state.started_at_ms) {
      const s = Math.max(0, Math.floor((Date.now() - state.started_at_ms) / 1000));
      const pad = (n) => String(n).padStart(2, '0');
      $('m-duration').textContent = `${pad(Math.floor(s / 3600))}:${pad(Math.floor(s / 60) % 60)}:${pad(s % 60)}`;
    } else {
      $('m-duration').textContent = '';
    }
  }
  setInterval(tickDuration, 1000);

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
    const ws = new WebSocket(scheme + location.host + root.dataset.ws);
    ws.onmessage = (ev) => {
      const m = JSON.parse(ev.data);
      if (m.type === 'state') {
        links = m.links || {};
        update(m.state || { running: false, participants: [], layouts: { all: {} }, layout_version: 0 });
      }
      if (m.type === 'call') window.dispatchEvent(new CustomEvent('tessera-call', { detail: m }));
    };
    ws.onclose = () => setTimeout(connect, 2000);
  }
  connect();

  // The layout panel.
  if ($('m-apply')) {
    for (const el of ['m-kind', 'm-windows', 'm-content', 'm-names', 'm-locked', 'm-auto']) {
      $(el).addEventListener('change', () => {
        dirty = true;
        if (el === 'm-auto' && $('m-auto').checked) edit.layout.slots = edit.layout.slots.map(() => ({ kind: 'auto' }));
        renderGrid();
      });
    }
    // The windows follow the number as it is typed (not only when the field loses focus, which
    // would move the Apply button under the pointer).
    $('m-windows').addEventListener('input', () => { dirty = true; renderGrid(); });
    $('m-show-controls').addEventListener('change', renderGrid);
    $('m-scope').addEventListener('change', () => { loadLayout(); renderGrid(); });
    $('m-apply').addEventListener('click', async () => {
      const n = Number($('m-windows').value) || 0;
      const layout = {
        kind: $('m-kind').value,
        windows: n,
        content_slot: $('m-content').checked,
        slots: $('m-auto').checked ? [] : edit.layout.slots.slice(0, Math.max(0, n)),
        name_position: $('m-names').value,
        display_names: edit.layout.display_names || {},
        locked: $('m-locked').checked,
        fit: edit.layout.fit || 'fit',
      };
      // Refused as stale: reload the current layouts and their version (the pushed state may
      // not have arrived yet), before the message shows.
      const reload = async () => {
        const r = await fetch(`/api/v1/conferences/${encodeURIComponent(id)}/live`);
        dirty = false;
        if (r.ok) update(await r.json());
        loadLayout();
        renderGrid();
      };
      try {
        await api({ action: 'apply_layout', scope: scopeJson(edit.scope), layout, version: edit.version }, reload);
        dirty = false;
        loadLayout();
        renderGrid();
        $('m-layout-status').textContent = '✓';
      } catch (e) {
        $('m-layout-status').textContent = '';
      }
    });
    $('m-discard').addEventListener('click', () => act({ action: 'apply_layout', scope: scopeJson(edit.scope), layout: null, version: edit.version }));
  }
  $('m-select-all').addEventListener('change', () => {
    for (const p of (state ? state.participants : [])) if ($('m-select-all').checked) selected.add(p.id); else selected.delete(p.id);
    renderRoster();
  });
  const bulk = (body) => async () => {
    for (const pid of [...selected]) await act(body(pid));
  };
  $('m-bulk-cam-off').addEventListener('click', bulk((pid) => ({ action: 'device', participant: pid, camera: false })));
  $('m-bulk-mic-off').addEventListener('click', bulk((pid) => ({ action: 'device', participant: pid, microphone: false })));
  $('m-bulk-remove').addEventListener('click', bulk((pid) => ({ action: 'remove', participant: pid })));
  $('m-end').addEventListener('click', () => { $('m-end-confirm').hidden = false; });
  $('m-end-confirm').addEventListener('click', () => { $('m-end-confirm').hidden = true; act({ action: 'end' }); });
})();

// Add participants: the server calls users (at their registered phone), address-book contacts
// and SIP addresses; the list of calls follows the conference's events.
(() => {
  'use strict';
  const root = document.getElementById('manager');
  const panel = document.getElementById('m-add');
  if (!root || !panel) return;
  const $ = (id) => document.getElementById(id);
  const id = root.dataset.id;
  const status = $('m-add-status');
  const calls = new Map(); // name -> li

  async function add(body) {
    status.textContent = '';
    status.classList.remove('error');
    const r = await fetch(`/api/v1/conferences/${encodeURIComponent(id)}/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': root.dataset.csrf },
      body: JSON.stringify(body),
    });
    const data = await r.json().catch(() => ({}));
    if (!r.ok) {
      status.textContent = data.error || `HTTP ${r.status}`;
      status.classList.add('error');
      return;
    }
    status.textContent = data.message || '';
  }

  function showCall(kind, name, detail) {
    let li = calls.get(name);
    if (!li) {
      if (kind === 'joined') return; // a participant the server did not call
      li = document.createElement('li');
      calls.set(name, li);
      $('m-calls').prepend(li);
    }
    li.dataset.kind = kind;
    const word = panel.dataset[kind] || kind;
    li.textContent = `${name}: ${word}${detail && kind !== 'joined' ? ` (${detail})` : ''}`;
  }
  window.tesseraManagerCalls = () => [...calls.entries()].map(([name, li]) => ({ name, kind: li.dataset.kind, text: li.textContent }));

  // The manager's socket carries the events (see connect above).
  window.addEventListener('tessera-call', (ev) => showCall(ev.detail.kind, ev.detail.name, ev.detail.detail));

  let search = 0;
  $('m-add-user').addEventListener('input', () => {
    const q = $('m-add-user').value.trim();
    const mine = ++search;
    setTimeout(async () => {
      if (mine !== search || !q) return;
      const r = await fetch(`/api/v1/users?q=${encodeURIComponent(q)}`);
      const found = r.ok ? await r.json() : [];
      if (mine !== search) return;
      const pick = $('m-add-user-pick');
      pick.replaceChildren(...found.map((u) => {
        const o = document.createElement('option');
        o.value = u.id;
        o.textContent = u.name && u.name !== u.login ? `${u.name} (${u.login})` : u.login;
        return o;
      }));
    }, 200);
  });
  $('m-call-user').addEventListener('click', () => {
    const v = $('m-add-user-pick').value;
    if (v) add({ user: Number(v) });
  });

  (async () => {
    const r = await fetch('/api/v1/contacts');
    const list = r.ok ? await r.json() : [];
    const sel = $('m-add-contact');
    if (!list.length) {
      const o = document.createElement('option');
      o.textContent = panel.dataset.noContacts;
      o.value = '';
      sel.append(o);
      return;
    }
    for (const c of list) {
      const o = document.createElement('option');
      o.value = c.id;
      o.textContent = c.address ? `${c.name} — ${c.address}` : c.name;
      sel.append(o);
    }
  })();
  $('m-call-contact').addEventListener('click', () => {
    const v = $('m-add-contact').value;
    if (v) add({ contact: Number(v) });
  });
  $('m-call-address').addEventListener('click', () => {
    const name = $('m-add-name').value.trim();
    add(name ? { address: $('m-add-address').value, name } : { address: $('m-add-address').value });
  });
})();
