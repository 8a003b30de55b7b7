// A webinar's page: Sign up (the form, each error at its field), the join link with Copy link
// (or where it was emailed), and Attend for signed-in users.
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const form = $('signup-form');
  const show = (el, on) => { if (el) el.hidden = !on; };
  if ($('sign-up') && form) {
    $('sign-up').addEventListener('click', () => {
      show(form, true);
      show($('sign-up'), false);
      const first = form.querySelector('input');
      if (first) first.focus();
    });
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      form.querySelectorAll('.field-error').forEach((e) => { e.textContent = ''; });
      form.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
      const answers = {};
      form.querySelectorAll('[data-key]').forEach((i) => { if (i.value.trim()) answers[i.dataset.key] = i.value; });
      $('signup-submit').disabled = true;
      try {
        const r = await fetch(form.dataset.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ answers }),
        });
        const data = await r.json().catch(() => ({}));
        if (r.ok) {
          show(form, false);
          show($('signup-done'), true);
          if (data.emailed_to) {
            $('signup-message').textContent = $('signup-done').dataset.emailed.replace('{email}', data.emailed_to);
          } else {
            $('signup-message').textContent = $('signup-done').dataset.copy;
            $('join-link').value = location.origin + data.link;
            $('open-link').href = data.link;
            show($('signup-link-row'), true);
          }
          return;
        }
        const slot = data.field && form.querySelector(`[data-error-for="${CSS.escape(data.field)}"]`);
        const target = slot || form.querySelector('[data-error-for="registration"]');
        // The message without the "field: " the API puts in front (the field is right there).
        const msg = data.error || `HTTP ${r.status}`;
        target.textContent = data.field && msg.startsWith(`${data.field}: `) ? msg.slice(data.field.length + 2) : msg;
        const input = data.field && form.querySelector(`[data-key="${CSS.escape(data.field)}"]`);
        if (input) { input.setAttribute('aria-invalid', 'true'); input.focus(); }
      } finally {
        $('signup-submit').disabled = false;
      }
    });
  }
  if ($('copy-link')) {
    $('copy-link').addEventListener('click', async () => {
      const input = $('join-link');
      try {
        await navigator.clipboard.writeText(input.value);
      } catch (e) {
        input.select();
        document.execCommand('copy');
      }
      $('copy-link').textContent = $('copy-link').dataset.copied;
    });
  }
  if ($('attend')) {
    $('attend').addEventListener('click', async () => {
      const csrf = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch($('attend').dataset.url, { method: 'POST', headers: { 'x-csrf-token': csrf } });
      if (r.ok) { location.reload(); return; }
      const data = await r.json().catch(() => ({}));
      $('attend-status').textContent = data.error || `HTTP ${r.status}`;
    });
  }
})();
