// The administrator's control panel in Chromium: add a user (the generated password is shown
// once), grant rights and a license, lock and unlock them; the user changes the password and
// joins a room from another browser context; the live view shows the room's SIP phone with the
// packet loss its RTCP reports (the test drops some of what reaches the phone); disabling the
// user cuts their page off; the audit log holds every action with who and from where; an
// ordinary user gets 404 on the panel. Env: BASE, CONF, ADMIN (password ADMIN-password), Y4M. Prints one JSON line.
import { check, env, launch, scenario, signedIn, until } from './lib.mjs';

const BASE = env('BASE');
const CONF = env('CONF');
const ADMIN = env('ADMIN');
const browser = await launch(env('Y4M'));
const text = (page, sel) => page.locator(sel).innerText();

await scenario(browser, async (result) => {
  const admin = await signedIn(browser, BASE, ADMIN, ADMIN + '-password');

  // Add a user: the password appears once.
  await admin.goto(BASE + '/admin');
  check(admin.url().endsWith('/admin/users'), 'the panel opens on its users: ' + admin.url());
  await admin.fill('#login', 'bob');
  await admin.fill('#display_name', 'Bob Builder');
  await admin.fill('#email', 'bob@example.org');
  await admin.click('#create');
  const first = await text(admin, '#shown-password');
  check(/^[A-Za-z0-9]{20}$/.test(first), 'a generated password is shown: ' + first);
  await admin.click('#new-password a');
  const account = admin.url();

  // Rights and a license.
  await admin.check('input[name="right.create_conferences"]');
  await admin.check('input[name="right.recording"]');
  await admin.check('input[name="license"][value="permanent"]');
  await admin.click('#save');
  await until('saved', async () => (await admin.locator('.notice.ok').count()) > 0);
  check(await admin.isChecked('input[name="right.recording"]'), 'the right stays granted');
  result.license = await admin.locator('fieldset legend').nth(1).innerText();
  check(result.license.includes('permanent'), 'the license shows: ' + result.license);

  // Lock: the right password no longer signs bob in; unlock lets him.
  await admin.click('#do-lock');
  result.locked_state = await text(admin, '#user-state');
  check(result.locked_state.includes('locked'), 'locked: ' + result.locked_state);
  const ctx = await browser.newContext();
  const tryIn = async (pw) => (await ctx.request.post(BASE + '/api/v1/session', { data: { login: 'bob', password: pw } })).status();
  result.locked_sign_in = await tryIn(first);
  check(result.locked_sign_in === 423, 'a locked account is refused: ' + result.locked_sign_in);
  await admin.click('#do-unlock');
  check((await text(admin, '#user-state')).includes('active'), 'unlocked');

  // Bob signs in with the generated password and must choose his own first.
  check(await tryIn(first) === 200, 'bob signs in after the unlock');
  const bob = await ctx.newPage();
  bob.setDefaultTimeout(30000);
  await bob.goto(BASE + '/home');
  check(bob.url().includes('/password'), 'a generated password must be changed first: ' + bob.url());
  await bob.fill('#current', first);
  await bob.fill('#new', 'bob-own-password');
  await bob.fill('#repeat', 'bob-own-password');
  await bob.click('#submit');
  check(await tryIn('bob-own-password') === 200, 'bob signs in with his own password');

  // An ordinary user does not see the panel at all.
  result.panel_for_bob = (await ctx.request.get(BASE + '/admin/users')).status();
  check(result.panel_for_bob === 404, 'the panel is 404 to bob: ' + result.panel_for_bob);
  check(!(await (await ctx.request.get(BASE + '/home')).text()).includes('nav-admin'), 'no Administration link for bob');

  // Bob joins the room from his browser.
  await bob.goto(`${BASE}/c/${CONF}`);
  await bob.click('#join-browser');
  await until('bob is connected', () =>
    bob.evaluate(() => window.tessera && window.tessera.pc && window.tessera.pc.connectionState === 'connected'), 30000);

  // The live view: bob, and the phone with the loss its receiver reports tell.
  await admin.goto(BASE + '/admin/live');
  const row = (name) => admin.locator(`section.running[data-conference="${CONF}"] tr`, { hasText: name });
  const loss = await until('the phone reports packet loss', async () => {
    await admin.reload();
    if (!(await row('Bob Builder').count()) || !(await row('Room system').count())) return null;
    const v = parseFloat(await row('Room system').locator('td.loss').innerText());
    // The browser's own reports (Chromium sends them every second or so) fill its row too.
    const browserReported = (await row('Bob Builder').locator('td.jitter').innerText()) !== '—';
    // What each sends: the phone's RTCP sender reports, the browser's packets as they pass.
    const rates = await Promise.all(['Room system', 'Bob Builder'].map(async (n) => parseFloat(await row(n).locator('td.receiving').innerText())));
    return v > 0 && browserReported && rates.every((r) => r > 0) ? v : null;
  }, 60000);
  result.phone_loss_percent = loss;
  result.phone_row = await row('Room system').innerText();
  result.bob_row = await row('Bob Builder').innerText();
  result.cpu = await text(admin, '#cpu');

  // Disable bob while he is in the room: his page is cut off.
  await admin.goto(account);
  await admin.click('#do-disable');
  check((await text(admin, '#user-state')).includes('disabled'), 'disabled');
  result.bob_cut_off = await until('bob\'s page is cut off', async () => {
    const s = await bob.locator('#join-status').innerText().catch(() => '');
    return s.includes('disabled') ? s : null;
  }, 30000);

  // The audit log: every action, by admin, from this browser's address.
  await admin.goto(BASE + '/admin/audit');
  const rows = await admin.locator('#audit tbody tr').allInnerTexts();
  for (const action of ['user.create bob', 'user.change bob', 'user.lock bob', 'user.unlock bob', 'user.disable bob']) {
    check(rows.some((r) => r.includes(action) && r.includes(ADMIN) && r.includes('127.0.0.1') && r.includes('ok')),
      `${action} is in the audit log: ${JSON.stringify(rows.slice(0, 8))}`);
  }
  result.audit_rows = rows.length;
});
