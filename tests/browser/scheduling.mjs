// Scheduling in headless Chromium: sign in, New conference from the home page, fill every tab
// for a recurring role-based conference with a PIN, a participant and a layout (a bad PIN is
// refused at its field first), save it as a template too; then see it on each of its days in
// the calendar and not on the others, on the home page today, on its card, and in Templates.
// Env: BASE, LOGIN, PASSWORD, NAME, ID, START, END, DAYS (mo,we), COUNT, PARTICIPANT,
// DATES (its dates, comma-separated), NOT_DATES, OUT (screenshots).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE'), OUT = env('OUT'), NAME = env('NAME'), ID = env('ID');
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };

const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
const ctx = await chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  locale: 'en-US',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
try {
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);
  await page.goto(BASE + '/login');
  await page.fill('#login', env('LOGIN'));
  await page.fill('#password', env('PASSWORD'));
  await Promise.all([page.waitForURL(BASE + '/home'), page.click('#submit')]);
  await Promise.all([page.waitForURL(/\/conferences\/new/), page.click('#new-conference')]);
  // The first step: Private (the default) or Public, then Continue.
  check(await page.isChecked('#first-step input[name=access][value=private]'), 'the first step offers Private first');
  await Promise.all([page.waitForURL(/access=private/), page.click('#continue')]);

  // General.
  check(await page.isChecked('input[name=access][value=private]'), 'private is the default type');
  await page.fill('#name', NAME);
  await page.selectOption('#mode', 'role_based');
  check(await page.isVisible('#active_speakers'), 'active speakers shown for role-based');
  await page.fill('#active_speakers', '2');
  await page.fill('#start', env('START'));
  await page.fill('#end', env('END'));
  await page.selectOption('#time_zone', 'UTC');
  await page.selectOption('#freq', 'weekly');
  for (const d of env('DAYS').split(',')) await page.check(`input[name=days][value=${d}]`);
  await page.check('input[name=ends][value=count]');
  await page.fill('#count', env('COUNT'));
  await page.check('#save_as_template');
  await page.fill('#template_name', 'Planning template');

  // Participants: found by the picker, made a moderator and a speaker.
  await page.click('button[data-tab=participants]');
  await page.fill('#user-search', env('PARTICIPANT'));
  await page.waitForFunction(() => document.querySelectorAll('#user-options option').length > 0);
  await page.click('#add-user');
  const row = page.locator(`#participants tr[data-login="${env('PARTICIPANT')}"]`);
  await row.locator('select').selectOption('moderator');
  await row.locator('input[type=checkbox]').check();
  // The room system, from the address book.
  await page.selectOption('#contact-pick', 'a:sip:boardroom@10.0.0.9');
  await page.click('#add-contact');
  check((await page.locator('#addresses').innerText()).includes('sip:boardroom@10.0.0.9'), 'address added from contacts');

  // Layout.
  await page.click('button[data-tab=layout]');
  await page.check('#layout_custom');
  await page.selectOption('#layout_kind', 'one_large_below');
  await page.fill('#layout_windows', '5');
  await page.selectOption('#layout_names', 'top');
  await page.check('#layout_locked');
  // The settings in full screen, and back.
  await page.click('#layout-fullscreen');
  // The button follows the fullscreenchange event, which comes after the element is set.
  await page.waitForFunction(() => document.fullscreenElement && document.fullscreenElement.id === 'layout-fields'
    && document.getElementById('layout-fullscreen').getAttribute('aria-pressed') === 'true');
  await page.click('#layout-fullscreen');
  await page.waitForFunction(() => !document.fullscreenElement
    && document.getElementById('layout-fullscreen').getAttribute('aria-pressed') === 'false');
  // Windows kept for people, reordered with the keyboard (Down on window 1) and by dragging
  // (window 3 onto window 2): what the windows show is swapped each time.
  await page.check('input[name=layout_fill][value=assign]');
  await page.selectOption('select[name=slot-0]', { label: env('PARTICIPANT') });
  const slotLabel = (i) => page.locator(`select[name=slot-${i}]`).evaluate((s) => s.selectedOptions[0].textContent);
  await page.locator('#layout-slots li:nth-child(1) button.down').focus();
  await page.keyboard.press('Enter');
  check(await slotLabel(1) === env('PARTICIPANT') && await page.inputValue('select[name=slot-0]') === 'auto',
    'Down moved the participant to window 2');
  await page.dragAndDrop('#layout-slots li:nth-child(2) .handle', '#layout-slots li:nth-child(3) .handle');
  check(await slotLabel(2) === env('PARTICIPANT') && await page.inputValue('select[name=slot-1]') === 'auto',
    'dragging window 2 onto window 3 swapped them');
  // An individual layout for the participant; the one for everyone stays.
  await page.selectOption('#layout_scope', env('PARTICIPANT'));
  check(!(await page.isChecked('#layout_custom')), 'no individual layout yet');
  await page.check('#layout_custom');
  await page.selectOption('#layout_kind', 'picture_in_picture');
  await page.selectOption('#layout_scope', '');
  check(await page.inputValue('#layout_kind') === 'one_large_below', 'the layout for everyone is kept');

  // Additional: a chosen ID; a bad PIN first.
  await page.click('button[data-tab=additional]');
  await page.fill('#id', ID);
  await page.check('#pin_enabled');
  check(/^\d{6}$/.test(await page.inputValue('#pin')), 'a PIN is generated when the box is ticked');
  await page.fill('#pin', '12ab');
  await page.check('#email_invitations');
  await page.fill('#location', 'Room 4 & "the annex"');
  await page.screenshot({ path: path.join(OUT, 'form-additional.png'), fullPage: true });
  await page.click('#save');
  const pinError = page.locator('[data-error-for=pin]');
  await pinError.waitFor({ state: 'visible' });
  check((await pinError.innerText()).includes('4 to 16 digits'), 'PIN error at the field');
  check(await page.getAttribute('#pin', 'aria-invalid') === 'true', 'PIN field marked invalid');
  check(page.url().includes('/conferences/new'), 'nothing saved, still on the form');
  await page.fill('#pin', '4321');
  await Promise.all([page.waitForURL(/saved=1/), page.click('#save')]);

  // The card.
  const card = page.locator('#conference-card');
  const text = await card.innerText();
  check(text.includes(NAME) && text.includes('4321') && text.includes(ID), `card: ${text}`);
  check(text.includes('Weekly') && text.includes(`${env('COUNT')} occurrences`), `card shows the recurrence: ${text}`);
  check((await page.locator('#card-invited').innerText()).trim() === '3', 'owner, participant and room system invited');
  check(await page.locator('#export-ics').count() === 1 && await page.locator('#export-google').count() === 1, 'export links');
  const google = await page.getAttribute('#export-google', 'href');
  check(google.includes('recur=RRULE%3AFREQ%3DWEEKLY'), `Google link carries the rule: ${google}`);

  // The calendar: on each of its days, and not on the others.
  for (const d of env('DATES').split(',')) {
    await page.goto(`${BASE}/meetings?month=${d.slice(0, 7)}&day=${d}`);
    const n = Number(await page.getAttribute(`a.day[data-date="${d}"]`, 'data-count'));
    check(n === 1, `${d} shows the meeting (count ${n})`);
    check((await page.locator('#day-list').innerText()).includes(NAME), `${d}'s list names it`);
  }
  for (const d of env('NOT_DATES').split(',')) {
    await page.goto(`${BASE}/meetings?month=${d.slice(0, 7)}&day=${d}`);
    const n = Number(await page.getAttribute(`a.day[data-date="${d}"]`, 'data-count'));
    check(n === 0, `${d} has no meeting (count ${n})`);
  }
  await page.goto(`${BASE}/meetings?month=${env('DATES').slice(0, 7)}&day=${env('DATES').slice(0, 10)}&selected=${ID}`);
  await page.screenshot({ path: path.join(OUT, 'calendar.png'), fullPage: true });

  // Home: today.
  await page.goto(BASE + '/home');
  check((await page.locator('#today').innerText()).includes(NAME), 'the home page lists it today');

  // Templates.
  await page.goto(BASE + '/templates');
  check((await page.locator('#template-list').innerText()).includes('Planning template'), 'template listed');

  // Editing keeps what was set.
  await page.goto(`${BASE}/conferences/${ID}/edit`);
  check(await page.inputValue('#name') === NAME, 'edit form filled');
  check(await page.inputValue('#freq') === 'weekly' && await page.inputValue('#count') === env('COUNT'), 'recurrence kept');
  await page.click('button[data-tab=layout]');
  check(await page.inputValue('#layout_kind') === 'one_large_below' && await page.isChecked('#layout_locked'), 'layout kept');
  check(await slotLabel(2) === env('PARTICIPANT'), 'the window kept for the participant is the third');
  await page.selectOption('#layout_scope', env('PARTICIPANT'));
  check(await page.inputValue('#layout_kind') === 'picture_in_picture', 'the individual layout kept');
  console.log(JSON.stringify({ ok: true }));
} finally {
  await ctx.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
