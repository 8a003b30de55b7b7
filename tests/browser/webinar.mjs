// Webinars with registration, in the test's network namespace. Env: BASE, LOGIN/PASSWORD (the
// organiser), BOB/BOB_PASSWORD (a user of the server), START/END (the webinar's local times, UTC,
// started already), MAILDIR (the SMTP sink's), Y4M (the fake camera), OUT (screenshots).
// The organiser creates the webinar through the form (Registration tab: closes at the end,
// Attend allowed, a custom required field dragged up); a guest signs up (a missing required
// field first), the link arrives by mail and joins over WebRTC; the same link from a second
// browser disconnects the first; bob attends; a second webinar closes when full and shows
// Copy link; a third, whose registration has closed, shows no Sign up; the widget frames the page.
// Prints one JSON line of findings.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { check, env, launch, until } from './lib.mjs';

const BASE = env('BASE'), OUT = env('OUT');
const browser = await launch(env('Y4M'));
const result = {};
const framesDecoded = (page) => page.evaluate(async () => {
  const pc = window.tessera && window.tessera.pc;
  if (!pc) return 0;
  let n = 0;
  (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
  return n;
});
const watch = (page, who) => {
  page.setDefaultTimeout(20000);
  page.on('pageerror', (e) => console.error(`${who} page error:`, e.message));
};

// The mail the sink received for `to`, decoded from quoted-printable enough to find the link.
function mailFor(to) {
  const dir = path.join(env('MAILDIR'), 'new');
  if (!fs.existsSync(dir)) return null;
  for (const f of fs.readdirSync(dir)) {
    const raw = fs.readFileSync(path.join(dir, f), 'utf8');
    if (!raw.toLowerCase().includes(to.toLowerCase())) continue;
    return raw.replace(/=\r?\n/g, '').replace(/=3D/g, '=');
  }
  return null;
}

try {
  // The organiser signs in and creates the webinar through the form.
  const owner = await browser.newContext();
  const login = await owner.request.post(BASE + '/api/v1/session', { data: { login: env('LOGIN'), password: env('PASSWORD') } });
  check(login.ok(), 'organiser signs in');
  const csrf = (await login.json()).csrf_token;
  const form = await owner.newPage();
  watch(form, 'form');
  await form.goto(`${BASE}/conferences/new?access=public`);
  await form.fill('#name', 'Launch webinar');
  await form.fill('#start', env('START'));
  await form.fill('#end', env('END'));
  await form.selectOption('#time_zone', 'UTC');
  check(await form.locator('#registration-tab-button').isVisible(), 'the Registration tab shows for a public meeting');
  await form.click('#registration-tab-button');
  await form.check('#registration_enabled');
  await form.selectOption('#registration_closes', 'end');
  await form.check('#registration_allow_attend');
  await form.selectOption('#registration_add_kind', 'organization');
  await form.click('#registration-add-field');
  await form.selectOption('#registration_add_kind', 'custom');
  await form.fill('#registration_custom_label', 'Company size');
  await form.click('#registration-add-field');
  const fieldKeys = () => form.locator('#registration-form-fields li').evaluateAll((l) => l.map((x) => x.dataset.key));
  result.fields_before_drag = await fieldKeys();
  // Drag the custom field onto the email field: it moves up to second place.
  await form.locator('#registration-form-fields li[data-key="custom"]').dragTo(form.locator('#registration-form-fields li[data-key="email"]'));
  result.fields_after_drag = await fieldKeys();
  await form.screenshot({ path: path.join(OUT, 'webinar-registration-tab.png'), fullPage: true });
  await form.locator('#registration-form-fields li[data-key="custom"] input[type="checkbox"]').check();
  await form.click('[data-tab="additional"]');
  await form.check('#email_invitations');
  await form.click('#save');
  await form.waitForURL(/selected=/);
  const id = new URL(form.url()).searchParams.get('selected');
  result.id = id;
  result.card_registration = await form.locator('#card-registration').innerText();
  const widget = await form.locator('#card-widget-code').inputValue();
  result.widget = widget;
  await form.screenshot({ path: path.join(OUT, 'webinar-card.png'), fullPage: true });
  const live = async () => (await owner.request.get(`${BASE}/api/v1/conferences/${id}/live`)).json();
  await until('the webinar runs (the scheduler starts it)', async () => (await live()).running, 30000);

  // A guest signs up: a missing required field is refused at its field, then the link is mailed.
  const g1ctx = await browser.newContext();
  const g1 = await g1ctx.newPage();
  watch(g1, 'guest 1');
  await g1.goto(`${BASE}/c/${id}`);
  check(await g1.locator('#guest-name').count() === 0, 'no joining by name alone');
  await g1.click('#sign-up');
  result.labels = await g1.locator('#signup-form label').allInnerTexts();
  await g1.fill('#reg-name', 'Gina Guest');
  await g1.fill('#reg-email', 'gina@example.org');
  await g1.click('#signup-submit');
  await until('the missing answer is named', async () => (await g1.locator('[data-error-for="c1"]').innerText()).length > 0);
  result.missing_error = await g1.locator('[data-error-for="c1"]').innerText();
  result.missing_invalid = await g1.locator('#reg-c1').getAttribute('aria-invalid');
  await g1.fill('#reg-c1', '50-200');
  await g1.click('#signup-submit');
  await until('signed up', () => g1.locator('#signup-done').isVisible());
  result.signup_message = await g1.locator('#signup-message').innerText();
  await g1.screenshot({ path: path.join(OUT, 'webinar-signed-up.png'), fullPage: true });
  const mail = await until('the join link is mailed', async () => mailFor('gina@example.org'), 20000);
  const m = /(https?:\/\/\S+\/c\/[a-z0-9._-]+#t=[A-Za-z0-9_-]+)/.exec(mail);
  check(m, 'a join link in the mail: ' + mail.slice(0, 2000));
  const link = m[1];
  result.mail_subject = (/^Subject: (.*)$/m.exec(mail) || [])[1];
  result.link_token_chars = link.split('#t=')[1].length;

  // The link joins over WebRTC.
  await g1.goto(link);
  await until('the join button for the link shows', () => g1.locator('#join-registrant').isVisible());
  await g1.click('#join-registrant');
  result.g1_frames = await until('guest 1 decodes frames', async () => { const n = await framesDecoded(g1); return n >= 10 ? n : 0; }, 30000);
  result.roster_one = (await live()).participants.map((p) => p.name);

  // The same link on a second device: the first is disconnected.
  const g2ctx = await browser.newContext();
  const g2 = await g2ctx.newPage();
  watch(g2, 'guest 2');
  await g2.goto(link);
  await g2.click('#join-registrant');
  result.g2_frames = await until('guest 2 decodes frames', async () => { const n = await framesDecoded(g2); return n >= 10 ? n : 0; }, 30000);
  await until('guest 1 is disconnected', async () => (await g1.locator('#join-status').innerText()).includes('another device'));
  result.g1_status = await g1.locator('#join-status').innerText();
  result.g1_call_hidden = await g1.locator('#call').isHidden();
  await until('one guest in the roster', async () => (await live()).participants.filter((p) => p.name === 'Gina Guest').length === 1);
  result.roster_two = (await live()).participants.map((p) => p.name);
  await g2.click('#hangup');

  // Bob, a user of the server who is not invited, attends.
  const bobCtx = await browser.newContext();
  const bobLogin = await bobCtx.request.post(BASE + '/api/v1/session', { data: { login: env('BOB'), password: env('BOB_PASSWORD') } });
  check(bobLogin.ok(), 'bob signs in');
  const bob = await bobCtx.newPage();
  watch(bob, 'bob');
  await bob.goto(`${BASE}/c/${id}`);
  result.bob_join_before = await bob.locator('#join-browser').count();
  await bob.click('#attend');
  await until('the page shows bob as a participant', async () => (await bob.locator('#attend').count()) === 0 && (await bob.locator('#join-browser').count()) === 1);
  const settings = await (await owner.request.get(`${BASE}/api/v1/conferences/${id}/settings`)).json();
  result.participants = settings.participants.map((p) => p.login);

  // A second webinar closes when full (25 on screen: the owner, 23 addresses, one guest).
  const day = new Date(Date.now() + 86400000).toISOString().slice(0, 10);
  const addresses = Array.from({ length: 23 }, (_, i) => ({ address: `sip:room${i}@10.0.0.1`, role: 'participant' }));
  const full = await owner.request.post(`${BASE}/api/v1/conferences`, { headers: { 'X-CSRF-Token': csrf }, data: {
    name: 'Small webinar', access: 'public', start: `${day}T10:00`, end: `${day}T11:00`, time_zone: 'UTC', addresses,
    registration: { enabled: true, closes: 'end', close_when_full: true },
  } });
  check(full.ok(), 'second webinar: ' + await full.text());
  const fullId = (await full.json()).id;
  const g3ctx = await browser.newContext({ permissions: ['clipboard-read', 'clipboard-write'] });
  const g3 = await g3ctx.newPage();
  watch(g3, 'guest 3');
  await g3.goto(`${BASE}/c/${fullId}`);
  await g3.click('#sign-up');
  await g3.fill('#reg-name', 'Hugo <Guest>');
  await g3.fill('#reg-email', 'hugo@example.org');
  await g3.click('#signup-submit');
  await until('the link is shown', () => g3.locator('#signup-link-row').isVisible());
  result.shown_link = await g3.locator('#join-link').inputValue();
  await g3.click('#copy-link');
  result.clipboard = await g3.evaluate(() => navigator.clipboard.readText());
  await g3.screenshot({ path: path.join(OUT, 'webinar-copy-link.png'), fullPage: true });
  await g3.goto(`${BASE}/c/${fullId}`);
  result.full_notice = await g3.locator('#registration-closed').innerText();
  result.full_sign_up_buttons = await g3.locator('#sign-up').count();
  const again = await g3.request.post(`${BASE}/c/${fullId}/register`, { data: { answers: { name: 'Ida', email: 'ida@example.org' } } });
  result.full_refusal = [again.status(), (await again.json()).error];

  // A third webinar whose custom registration window has passed.
  const hourAgo = new Date(Date.now() - 3600000).toISOString().slice(0, 16);
  const twoAgo = new Date(Date.now() - 7200000).toISOString().slice(0, 16);
  const closed = await owner.request.post(`${BASE}/api/v1/conferences`, { headers: { 'X-CSRF-Token': csrf }, data: {
    name: 'Closed webinar', access: 'public', start: `${day}T12:00`, end: `${day}T13:00`, time_zone: 'UTC',
    registration: { enabled: true, closes: 'custom', opens: twoAgo, closes_at: hourAgo },
  } });
  check(closed.ok(), 'third webinar: ' + await closed.text());
  const closedId = (await closed.json()).id;
  await g3.goto(`${BASE}/c/${closedId}`);
  result.closed_notice = await g3.locator('#registration-closed').innerText();
  result.closed_sign_up_buttons = await g3.locator('#sign-up').count();
  result.closed_calendar = await g3.locator('#calendar-ics').getAttribute('href');

  // The widget, pasted into another page, shows the conference page.
  // "Another site": a page of another origin (a server of this script's own, on loopback)
  // with the widget's HTML pasted in, and a plain frame of the normal page, which is refused.
  const plain = widget.replace('?embed=1', '');
  const site = http.createServer((req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(`<!doctype html><html><body><h1>Our site</h1>${req.url === '/plain' ? plain : widget}</body></html>`);
  });
  await new Promise((r) => site.listen(0, '127.0.0.1', r));
  const siteUrl = `http://127.0.0.1:${site.address().port}`;
  const host = await g3ctx.newPage();
  await host.goto(`${siteUrl}/plain`);
  // The frame has answered (refused: an error page) before counting what it shows.
  await until('the plain frame has loaded or been refused', () => host.frames()[1] && !['', 'about:blank'].includes(host.frames()[1].url()), 10000)
    .catch(() => {});
  result.plain_frame_url = host.frames()[1] ? host.frames()[1].url() : null;
  result.plain_frame_title = await host.frameLocator('iframe').locator('#conference-name').count();
  await host.goto(`${siteUrl}/events`);
  const frame = host.frameLocator('iframe');
  result.widget_title = await frame.locator('#conference-name').innerText({ timeout: 20000 });
  result.widget_sign_up = await frame.locator('#registration').count();
  await host.screenshot({ path: path.join(OUT, 'webinar-widget.png') });
  site.close();
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
