// The scheduling form: fills the fields from data-initial, switches tabs, keeps the
// participants and addresses lists, and sends the JSON API request. Errors come back with the
// field they belong to and are shown under it (and its tab is opened).
(() => {
  const form = document.getElementById('conference-form');
  if (!form) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const initial = JSON.parse(form.dataset.initial || '{}');
  const mode = form.dataset.mode; // new | edit | template
  const $ = (id) => document.getElementById(id);
  const radios = (name) => [...form.querySelectorAll(`input[name="${name}"]`)];
  const radioValue = (name) => (radios(name).find((r) => r.checked) || {}).value;
  const setRadio = (name, v) => radios(name).forEach((r) => { r.checked = r.value === v; });

  // Tabs.
  const tabs = [...form.querySelectorAll('.tab')];
  const showTab = (name) => {
    tabs.forEach((t) => {
      t.setAttribute('aria-selected', String(t.dataset.tab === name));
      t.tabIndex = t.dataset.tab === name ? 0 : -1;
    });
    form.querySelectorAll('.tab-panel').forEach((p) => { p.hidden = p.dataset.panel !== name; });
  };
  tabs.forEach((t) => t.addEventListener('click', () => showTab(t.dataset.tab)));
  // The keyboard of a tab list (WAI-ARIA): arrows, Home and End move between the visible tabs.
  form.querySelector('[role=tablist]').addEventListener('keydown', (e) => {
    const shown = tabs.filter((t) => !t.hidden);
    const at = shown.indexOf(document.activeElement);
    if (at < 0) return;
    const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: shown.length - 1 }[e.key];
    if (to === undefined) return;
    e.preventDefault();
    const t = shown[(to + shown.length) % shown.length];
    showTab(t.dataset.tab);
    t.focus();
  });

  // Participants and addresses.
  let participants = (initial.participants || []).map((p) => ({ ...p }));
  let addresses = (initial.addresses || []).map((a) => ({ ...a }));
  // The table's translated words, and the name each row's controls are announced with.
  const words = $('participants').dataset;
  const roleSelect = (value, onChange, who) => {
    const s = document.createElement('select');
    s.setAttribute('aria-label', `${words.role}: ${who}`);
    for (const r of ['participant', 'moderator']) {
      const o = document.createElement('option');
      o.value = r; o.textContent = r === 'moderator' ? words.roleModerator : words.roleParticipant; o.selected = r === value;
      s.append(o);
    }
    s.addEventListener('change', () => onChange(s.value));
    return s;
  };
  const renderList = () => {
    const roleBased = $('mode').value === 'role_based';
    const body = $('participants').querySelector('tbody');
    body.replaceChildren();
    participants.forEach((p, i) => {
      const tr = document.createElement('tr');
      tr.dataset.login = p.login;
      const name = document.createElement('td'); name.textContent = p.login;
      const role = document.createElement('td'); role.append(roleSelect(p.role, (v) => { p.role = v; }, p.login));
      const sp = document.createElement('td'); sp.className = 'speaker-col';
      const box = document.createElement('input'); box.type = 'checkbox'; box.checked = !!p.speaker;
      box.setAttribute('aria-label', `${words.speaker}: ${p.login}`);
      box.addEventListener('change', () => { p.speaker = box.checked; });
      sp.append(box); sp.hidden = !roleBased;
      const rm = document.createElement('td');
      const b = document.createElement('button'); b.type = 'button'; b.className = 'link remove'; b.textContent = '×';
      b.setAttribute('aria-label', `${words.remove}: ${p.login}`);
      b.addEventListener('click', () => { participants.splice(i, 1); renderList(); });
      rm.append(b);
      tr.append(name, role, sp, rm);
      body.append(tr);
    });
    form.querySelectorAll('th.speaker-col').forEach((th) => { th.hidden = !roleBased; });
    const abody = $('addresses').querySelector('tbody');
    abody.replaceChildren();
    addresses.forEach((a, i) => {
      const tr = document.createElement('tr');
      const name = document.createElement('td'); name.textContent = a.address;
      const role = document.createElement('td'); role.append(roleSelect(a.role, (v) => { a.role = v; }, a.address));
      const rm = document.createElement('td');
      const b = document.createElement('button'); b.type = 'button'; b.className = 'link remove'; b.textContent = '×';
      b.setAttribute('aria-label', `${words.remove}: ${a.address}`);
      b.addEventListener('click', () => { addresses.splice(i, 1); renderList(); });
      rm.append(b);
      tr.append(name, role, rm);
      abody.append(tr);
    });
  };
  let searchTimer;
  $('user-search').addEventListener('input', () => {
    clearTimeout(searchTimer);
    const q = $('user-search').value.trim();
    if (!q) return;
    searchTimer = setTimeout(async () => {
      const r = await fetch(`/api/v1/users?q=${encodeURIComponent(q)}`);
      if (!r.ok) return;
      const list = $('user-options');
      list.replaceChildren();
      for (const u of await r.json()) {
        ids.set(u.login, u.id);
        const o = document.createElement('option');
        o.value = u.login; o.textContent = u.name;
        list.append(o);
      }
    }, 150);
  });
  $('add-user').addEventListener('click', () => {
    const login = $('user-search').value.trim();
    if (login && !participants.some((p) => p.login === login)) participants.push({ login, role: 'participant', speaker: false });
    $('user-search').value = '';
    renderList();
  });
  if ($('add-contact')) {
    $('add-contact').addEventListener('click', () => {
      const v = $('contact-pick').value;
      if (v.startsWith('u:')) {
        const login = v.slice(2);
        const uid = Number($('contact-pick').selectedOptions[0].dataset.userId);
        if (uid) ids.set(login, uid);
        if (!participants.some((p) => p.login === login)) participants.push({ login, role: 'participant', speaker: false });
      } else if (v.startsWith('a:')) {
        const address = v.slice(2);
        if (!addresses.some((a) => a.address === address)) addresses.push({ address, role: 'participant', speaker: false });
      }
      sync();
    });
  }
  $('add-address').addEventListener('click', () => {
    const address = $('address-input').value.trim();
    if (address && !addresses.some((a) => a.address === address)) addresses.push({ address, role: 'participant', speaker: false });
    $('address-input').value = '';
    renderList();
  });

  // Layout: windows that are left empty on purpose.
  // Each window: filled automatically, left empty, or kept for one invited user (by id).
  const ids = new Map(); // login -> user id
  ids.set(form.dataset.ownerLogin, Number(form.dataset.ownerId));
  for (const p of participants) if (p.user_id) ids.set(p.login, p.user_id);
  const slotList = () => {
    const n = Math.max(1, Math.min(25, Number($('layout_windows').value) || 1));
    const ol = $('layout-slots');
    const kept = [...ol.querySelectorAll('select')].map((s) => s.value);
    ol.replaceChildren();
    const people = [[form.dataset.ownerLogin, ids.get(form.dataset.ownerLogin)],
      ...participants.filter((p) => ids.has(p.login)).map((p) => [p.login, ids.get(p.login)])];
    // Windows are reordered by dragging one onto another, or with its Up and Down buttons
    // (keyboard): what two windows show is swapped.
    const swap = (a, b) => {
      const sa = ol.querySelector(`select[name="slot-${a}"]`);
      const sb = ol.querySelector(`select[name="slot-${b}"]`);
      if (!sa || !sb || a === b) return;
      [sa.value, sb.value] = [sb.value, sa.value];
    };
    for (let i = 0; i < n; i++) {
      const li = document.createElement('li');
      li.draggable = true;
      li.addEventListener('dragstart', (e) => { e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(i)); });
      li.addEventListener('dragover', (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; });
      li.addEventListener('drop', (e) => { e.preventDefault(); swap(Number(e.dataTransfer.getData('text/plain')), i); });
      const s = document.createElement('select');
      s.name = `slot-${i}`;
      s.setAttribute('aria-label', `${ol.dataset.window} ${i + 1}`);
      const labels = [['auto', ol.dataset.auto], ['empty', ol.dataset.empty]];
      for (const [v, label] of [...labels, ...people.map(([l, id]) => [`u:${id}`, l])]) {
        const o = document.createElement('option'); o.value = v; o.textContent = label; s.append(o);
      }
      s.value = kept[i] || 'auto';
      if (!s.value) s.value = 'auto';
      const handle = document.createElement('span');
      handle.className = 'handle'; handle.textContent = '⋮⋮'; handle.setAttribute('aria-hidden', 'true');
      li.append(handle, ' ', s);
      for (const [label, cls, to] of [[ol.dataset.up, 'up', i - 1], [ol.dataset.down, 'down', i + 1]]) {
        if (to < 0 || to >= n) continue;
        const b = document.createElement('button');
        b.type = 'button'; b.className = `link ${cls}`; b.textContent = label;
        b.setAttribute('aria-label', `${label}: ${ol.dataset.window} ${i + 1}`);
        b.addEventListener('click', () => { swap(i, to); ol.querySelector(`select[name="slot-${to}"]`).focus(); });
        li.append(' ', b);
      }
      ol.append(li);
    }
    ol.hidden = radioValue('layout_fill') !== 'assign';
  };

  // The layout settings in full screen (the guide's), and back (the button, or Esc).
  const full = $('layout-fullscreen');
  if (full && document.fullscreenEnabled) {
    const label = full.textContent;
    full.addEventListener('click', () => {
      if (document.fullscreenElement) document.exitFullscreen();
      else $('layout-fields').requestFullscreen().catch(() => {});
    });
    document.addEventListener('fullscreenchange', () => {
      const on = document.fullscreenElement === $('layout-fields');
      full.textContent = on ? full.dataset.exit : label;
      full.setAttribute('aria-pressed', String(on));
    });
  } else if (full) {
    full.hidden = true;
  }

  // Layouts: one for everyone ('') and one per participant (by login), edited in turn.
  const layouts = new Map();
  if (initial.layout) layouts.set('', initial.layout);
  for (const pl of initial.participant_layouts || []) layouts.set(pl.login, pl.layout);
  let scope = '';
  const readLayout = () => ($('layout_custom').checked ? {
    kind: $('layout_kind').value,
    windows: Number($('layout_windows').value) || 1,
    content_slot: $('layout_content_slot').checked,
    slots: radioValue('layout_fill') === 'assign'
      ? [...form.querySelectorAll('#layout-slots select')].map((s) => (s.value.startsWith('u:')
        ? { kind: 'participant', participant: Number(s.value.slice(2)) }
        : { kind: s.value }))
      : [],
    name_position: $('layout_names').value,
    locked: $('layout_locked').checked,
  } : null);
  const showLayout = (lay) => {
    $('layout_custom').checked = !!lay;
    setRadio('layout_fill', lay && (lay.slots || []).some((s) => s.kind !== 'auto') ? 'assign' : 'auto');
    $('layout_kind').value = (lay && lay.kind) || 'grid';
    $('layout_windows').value = (lay && lay.windows) || 4;
    $('layout_content_slot').checked = !!(lay && lay.content_slot);
    $('layout_names').value = (lay && lay.name_position) || 'bottom';
    $('layout_locked').checked = !!(lay && lay.locked);
    $('layout-slots').replaceChildren();
    slotList();
    (lay ? lay.slots || [] : []).forEach((s, i) => {
      const el = form.querySelector(`select[name="slot-${i}"]`);
      if (el) el.value = s.kind === 'participant' ? `u:${s.participant}` : s.kind;
    });
  };
  const keepLayout = () => {
    const l = readLayout();
    if (l) layouts.set(scope, l); else layouts.delete(scope);
  };
  const scopes = () => {
    const sel = $('layout_scope');
    const keep = sel.value;
    [...sel.options].slice(1).forEach((o) => o.remove());
    for (const login of [form.dataset.ownerLogin, ...participants.map((p) => p.login)]) {
      const o = document.createElement('option'); o.value = login; o.textContent = login; sel.append(o);
    }
    sel.value = [...sel.options].some((o) => o.value === keep) ? keep : '';
  };
  $('layout_scope').addEventListener('change', () => {
    keepLayout();
    scope = $('layout_scope').value;
    showLayout(layouts.get(scope));
    sync();
  });

  // Registration (webinars): the sign-up form's fields in order, dragged to reorder.
  const regOl = $('registration-form-fields');
  const regLabels = JSON.parse(regOl.dataset.labels || '{}');
  const regInit = initial.registration;
  // The form is fixed once saved: editing shows it as it is.
  const regFixed = mode === 'edit' && !!(regInit && regInit.fields && regInit.fields.length);
  let regFields = regInit && regInit.fields && regInit.fields.length
    ? regInit.fields.map((f) => ({ ...f }))
    : [{ key: 'name', label: '', required: true }, { key: 'email', label: '', required: true }];
  let dragFrom = null;
  const moveField = (from, to) => {
    if (from === to || from == null) return;
    const [f] = regFields.splice(from, 1);
    regFields.splice(to, 0, f);
    renderRegFields();
  };
  const renderRegFields = () => {
    regOl.replaceChildren();
    regFields.forEach((f, i) => {
      const li = document.createElement('li');
      li.className = 'reg-field';
      li.dataset.key = f.key || 'custom';
      li.draggable = !regFixed;
      const name = document.createElement('span');
      name.className = 'reg-label';
      name.textContent = regLabels[f.key] || f.label;
      const req = document.createElement('label');
      req.className = 'check';
      const box = document.createElement('input');
      box.type = 'checkbox'; box.checked = !!f.required; box.disabled = regFixed || f.key === 'name';
      box.addEventListener('change', () => { f.required = box.checked; });
      req.append(box, ' ', regOl.dataset.required);
      li.append(name, ' ', req);
      if (!regFixed) {
        const btn = (label, cls, onClick) => {
          const b = document.createElement('button');
          b.type = 'button'; b.className = `link ${cls}`; b.textContent = label;
          b.addEventListener('click', onClick);
          li.append(' ', b);
        };
        if (i > 0) btn(regOl.dataset.up, 'up', () => moveField(i, i - 1));
        if (i < regFields.length - 1) btn(regOl.dataset.down, 'down', () => moveField(i, i + 1));
        if (f.key !== 'name') btn(regOl.dataset.remove, 'remove', () => { regFields.splice(i, 1); renderRegFields(); });
        li.addEventListener('dragstart', (e) => { dragFrom = i; e.dataTransfer.effectAllowed = 'move'; e.dataTransfer.setData('text/plain', String(i)); });
        li.addEventListener('dragover', (e) => { e.preventDefault(); e.dataTransfer.dropEffect = 'move'; });
        li.addEventListener('drop', (e) => { e.preventDefault(); moveField(dragFrom, i); dragFrom = null; });
      }
      regOl.append(li);
    });
    const kind = $('registration_add_kind');
    kind.replaceChildren();
    for (const k of Object.keys(regLabels)) {
      if (regFields.some((f) => f.key === k)) continue;
      const o = document.createElement('option'); o.value = k; o.textContent = regLabels[k]; kind.append(o);
    }
    const o = document.createElement('option'); o.value = 'custom'; o.textContent = $('registration-add-field').dataset.custom;
    kind.append(o);
    $('registration-add').hidden = regFixed;
    $('registration-fixed-note').hidden = !regFixed;
    $('registration-drag-note').hidden = regFixed;
    $('registration_custom_label').hidden = kind.value !== 'custom';
  };
  $('registration_add_kind').addEventListener('change', () => {
    $('registration_custom_label').hidden = $('registration_add_kind').value !== 'custom';
  });
  $('registration-add-field').addEventListener('click', () => {
    const k = $('registration_add_kind').value;
    if (k === 'custom') {
      const label = $('registration_custom_label').value.trim();
      if (!label) { $('registration_custom_label').focus(); return; }
      regFields.push({ key: '', label, required: false });
      $('registration_custom_label').value = '';
    } else if (k) {
      regFields.push({ key: k, label: '', required: false });
    }
    renderRegFields();
  });
  $('registration_enabled').checked = !!(regInit && regInit.enabled);
  $('registration_closes').value = (regInit && regInit.closes) || 'start';
  $('registration_opens').value = (regInit && regInit.opens) || '';
  $('registration_closes_at').value = (regInit && regInit.closes_at) || '';
  $('registration_close_when_full').checked = !!(regInit && regInit.close_when_full);
  $('registration_allow_attend').checked = !!(regInit && regInit.allow_attend);
  renderRegFields();

  // Dependent fields.
  const sync = () => {
    const pub = radioValue('access') === 'public';
    const room = radioValue('kind') === 'room';
    const lecture = $('mode').value === 'video_lecture';
    $('speakers-row').hidden = $('mode').value !== 'role_based';
    $('schedule-fields').hidden = room;
    $('recurrence-fields').hidden = !$('freq').value;
    $('weekdays').hidden = $('freq').value !== 'weekly';
    $('interval-unit').textContent = $('interval-unit').dataset[$('freq').value] || '';
    $('private-only').hidden = pub;
    $('public-only').hidden = !pub;
    $('layout-fields').hidden = lecture;
    const webinar = pub && !room;
    $('registration-tab-button').hidden = !webinar;
    $('registration-fields').hidden = !$('registration_enabled').checked;
    $('registration-custom').hidden = $('registration_closes').value !== 'custom';
    $('registration_closes').querySelector('option[value="never"]').disabled = !$('freq').value;
    $('layout-lecture-note').hidden = !lecture;
    $('pin').hidden = !$('pin_enabled').checked;
    $('template_name').hidden = mode !== 'template' && !$('save_as_template').checked;
    form.querySelectorAll('#layout-fields select, #layout-fields input:not(#layout_custom)').forEach((el) => {
      el.disabled = !$('layout_custom').checked;
    });
    slotList();
    renderList();
    scopes();
  };
  form.addEventListener('change', (ev) => { if (ev.target.id !== 'layout_scope') sync(); });
  $('pin_enabled').addEventListener('change', () => {
    // A PIN is generated when the box is ticked; it stays editable.
    if ($('pin_enabled').checked && !$('pin').value) {
      const a = new Uint32Array(1);
      crypto.getRandomValues(a);
      $('pin').value = String(a[0] % 1000000).padStart(6, '0');
    }
  });

  // Fill from the initial input.
  const v = initial;
  setRadio('access', v.access || 'private');
  setRadio('kind', v.kind || 'scheduled');
  $('name').value = v.name || '';
  $('mode').value = v.mode || 'all_on_screen';
  $('active_speakers').value = v.active_speakers || 1;
  $('start').value = v.start || '';
  $('end').value = v.end || '';
  $('time_zone').value = v.time_zone || 'UTC';
  const rec = v.recurrence;
  $('freq').value = rec ? rec.freq : '';
  if (rec) {
    $('interval').value = rec.interval || 1;
    radios('days').forEach((d) => { d.checked = (rec.days || []).includes(d.value); });
    setRadio('ends', rec.count ? 'count' : 'until');
    $('until').value = rec.until || '';
    $('count').value = rec.count || '';
  } else {
    setRadio('ends', 'until');
  }
  $('save_as_template').checked = mode === 'template';
  $('template_name').value = v.template_name || '';
  showLayout(layouts.get(''));
  $('id').value = mode === 'template' ? '' : (v.id || '');
  $('id').readOnly = mode === 'edit';
  $('pin').value = v.pin || '';
  $('pin_enabled').checked = !!v.pin;
  for (const k of ['join_without_invitation', 'encrypted_media', 'cameras_off_on_join', 'microphones_off_on_join', 'record', 'email_invitations']) {
    $(k).checked = !!v[k];
  }
  radios('guest_permissions').forEach((p) => { p.checked = (v.guest_permissions || []).includes(p.value); });
  if ($('multicast-fields')) {
    $('multicast_enabled').checked = !!v.multicast;
    $('multicast_group').value = v.multicast ? v.multicast.group : '';
    $('multicast_port').value = v.multicast ? v.multicast.port : '';
    $('multicast_ttl').value = v.multicast ? v.multicast.ttl : 1;
  }
  $('location').value = v.location || '';
  $('description').value = v.description || '';
  if (mode === 'template') {
    // A template has no ID of its own (each conference made from it gets one); its name is asked.
    $('id').disabled = true;
    $('save_as_template').closest('label').hidden = true;
  }
  sync();

  // Collect and send.
  const collect = () => {
    keepLayout();
    const lecture = $('mode').value === 'video_lecture';
    const scheduled = radioValue('kind') !== 'room';
    const freq = $('freq').value;
    const out = {
      name: $('name').value,
      access: radioValue('access'),
      kind: radioValue('kind'),
      mode: $('mode').value,
      active_speakers: Number($('active_speakers').value) || 1,
      start: scheduled ? $('start').value : '',
      end: scheduled ? $('end').value : null,
      time_zone: $('time_zone').value,
      recurrence: scheduled && freq ? {
        freq,
        interval: Number($('interval').value) || 1,
        days: freq === 'weekly' ? radios('days').filter((d) => d.checked).map((d) => d.value) : [],
        until: radioValue('ends') === 'until' ? ($('until').value || null) : null,
        count: radioValue('ends') === 'count' ? (Number($('count').value) || null) : null,
      } : null,
      participants,
      addresses,
      layout: lecture ? null : (layouts.get('') || null),
      participant_layouts: lecture ? [] : [...layouts.entries()]
        .filter(([login]) => login && (login === form.dataset.ownerLogin || participants.some((p) => p.login === login)))
        .map(([login, layout]) => ({ login, layout })),
      id: mode === 'template' ? '' : $('id').value,
      pin: $('pin_enabled').checked ? $('pin').value : '',
      join_without_invitation: radioValue('access') === 'private' && $('join_without_invitation').checked,
      encrypted_media: $('encrypted_media').checked,
      cameras_off_on_join: $('cameras_off_on_join').checked,
      microphones_off_on_join: $('microphones_off_on_join').checked,
      guest_permissions: radios('guest_permissions').filter((p) => p.checked).map((p) => p.value),
      record: $('record').checked,
      email_invitations: $('email_invitations').checked,
      multicast: $('multicast-fields') && $('multicast_enabled').checked ? {
        group: $('multicast_group').value,
        port: Number($('multicast_port').value) || 0,
        ttl: Number($('multicast_ttl').value) || 1,
      } : (mode === 'edit' && !$('multicast-fields') ? (v.multicast || null) : null),
      location: $('location').value,
      description: $('description').value,
      save_as_template: mode !== 'template' && $('save_as_template').checked,
      template_name: $('template_name').value,
      registration: radioValue('access') === 'public' && scheduled ? {
        enabled: $('registration_enabled').checked,
        closes: $('registration_closes').value,
        opens: $('registration_opens').value,
        closes_at: $('registration_closes_at').value,
        close_when_full: $('registration_close_when_full').checked,
        allow_attend: $('registration_allow_attend').checked,
        fields: regFields.map((f) => ({ key: f.key, label: f.label, required: !!f.required })),
      } : null,
    };
    return out;
  };
  // Which tab holds a field the server named.
  const fieldTab = (field) => {
    const el = form.querySelector(`[data-error-for="${field}"]`);
    const panel = el && el.closest('.tab-panel');
    return panel ? panel.dataset.panel : 'general';
  };
  const clearErrors = () => {
    form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
    form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
    $('form-error').hidden = true;
  };
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearErrors();
    $('save').disabled = true;
    try {
      const input = collect();
      let url; let method; let body;
      if (mode === 'template') {
        body = { name: input.template_name || input.name, settings: input };
        url = form.dataset.id ? `/api/v1/templates/${form.dataset.id}` : '/api/v1/templates';
        method = form.dataset.id ? 'PUT' : 'POST';
      } else {
        body = input;
        url = mode === 'edit' ? `/api/v1/conferences/${encodeURIComponent(form.dataset.id)}` : '/api/v1/conferences';
        method = mode === 'edit' ? 'PUT' : 'POST';
      }
      const r = await fetch(url, {
        method,
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify(body),
      });
      const data = await r.json().catch(() => ({}));
      if (r.ok) {
        if (mode === 'template') { location.href = `/templates?selected=${data.id}`; return; }
        const list = input.kind === 'room' ? '/rooms' : '/meetings?view=all';
        location.href = `${list}${list.includes('?') ? '&' : '?'}saved=1&selected=${encodeURIComponent(data.id)}`;
        return;
      }
      const field = data.field;
      const slot = field && form.querySelector(`[data-error-for="${field}"]`);
      if (slot) {
        showTab(fieldTab(field));
        slot.textContent = data.error;
        const input = form.querySelector(`[name="${field}"]`) || $(field);
        if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
      } else {
        $('form-error').textContent = data.error || `HTTP ${r.status}`;
        $('form-error').hidden = false;
      }
    } finally {
      $('save').disabled = false;
    }
  });
})();
