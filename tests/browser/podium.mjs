// Role-based: a participant asks for the podium from the conference page, the moderator sees the
// request in the conference manager and approves it, and the participant's page says so; then
// the participant chooses their own layout, until the moderator locks it.
// Env: BASE, CONF, OWNER/OWNER_PASSWORD (the moderator), USER/USER_PASSWORD, Y4M.
// Prints one JSON line of findings.
import { check, env, launch, scenario, signedIn as signIn, until } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF');
const browser = await launch(env('Y4M'));
const signedIn = (login, password) => signIn(browser, BASE, login, password);

await scenario(browser, async (result) => {
  const owner = await signedIn(env('OWNER'), env('OWNER_PASSWORD'));
  // The room runs once someone is in: a synthetic speaker starts it.
  const csrf = (await (await owner.request.get(BASE + '/api/v1/me')).json()).csrf_token;
  const add = await owner.request.post(`${BASE}/api/v1/conferences/${CONF}/live`,
    { data: { action: 'add_synthetic', name: 'Chair', colour: [30, 30, 200], tone_hz: 0 }, headers: { 'X-CSRF-Token': csrf } });
  check(add.ok(), `a synthetic participant: ${add.status()}`);
  await owner.goto(`${BASE}/conferences/${CONF}/manage`);
  result.requests_hidden_at_first = await owner.locator('#m-requests').isHidden();

  const user = await signedIn(env('USER'), env('USER_PASSWORD'));
  await user.goto(`${BASE}/c/${CONF}`);
  await user.click('#join-browser');
  await until('the call section shows', () => user.locator('#call').isVisible(), 30000);
  await user.click('#ask-podium');
  result.asked_notice = await until('the page says it asked', async () => {
    const t = await user.locator('#device-notice').innerText();
    return t.length > 0 ? t : null;
  });
  result.ask_disabled = await user.locator('#ask-podium').isDisabled();

  // The moderator sees the request and approves it.
  await until('the request shows in the manager', () => owner.locator('#m-request-list li').count());
  result.request = await owner.locator('#m-request-list li').first().innerText();
  await owner.locator('#m-request-list li button.approve').first().click();
  result.approved_notice = await until('the page says it was approved', async () => {
    const t = await user.locator('#device-notice').innerText();
    return t !== result.asked_notice ? t : null;
  });
  result.ask_hidden = await user.locator('#ask-podium').isHidden();
  await until('the request leaves the manager', async () => (await owner.locator('#m-request-list li').count()) === 0);
  const live = await (await owner.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json();
  result.on_podium = live.participants.filter((p) => p.on_podium).map((p) => p.name);

  // The participant chooses their own layout; once the moderator locks the layout, not any more.
  const me = live.participants.find((p) => p.kind === 'webrtc').id;
  await user.selectOption('#my-layout', 'one_large_below');
  result.own_layout = await until('the chosen layout is applied', async () => {
    const l = (await (await owner.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json()).layouts;
    const mine = l.participants && l.participants[String(me)];
    return mine ? mine.kind : null;
  });
  const lock = await owner.request.post(`${BASE}/api/v1/conferences/${CONF}/live`, { headers: { 'X-CSRF-Token': csrf },
    data: { action: 'apply_layout', scope: { participant: me }, layout: { kind: 'grid', windows: 2, locked: true } } });
  check(lock.ok(), `the moderator locks the layout: ${lock.status()} ${await lock.text()}`);
  await user.selectOption('#my-layout', 'row');
  result.locked_message = await until('the page says it is locked', async () => {
    const t = await user.locator('#join-status').innerText();
    return t.includes('does not allow') ? t : null;
  });
});
