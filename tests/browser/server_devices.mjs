// The conference manager's panel of devices attached to the server, in headless Chromium. Env:
// BASE, CONF (a virtual room, not running; the server has the ALSA PCMs alsa:testmic and
// alsa:testspk). The administrator (an operator) attaches the test microphone as "Hall A",
// keeping the room open for it, sees it join the roster, then detaches it. Prints one JSON line.
import { check, env, launch, scenario, signedIn, until } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF');
const browser = await launch();
await scenario(browser, async (result) => {
  const page = await signedIn(browser, BASE, 'admin', 'admin-password');
  result.page_errors = [];
  page.on('pageerror', (e) => result.page_errors.push(e.message));
  await page.goto(`${BASE}/conferences/${CONF}/manage`);
  await until('the machine\'s microphones are listed', async () =>
    (await page.locator('#m-sd-microphone option[value="alsa:testmic"]').count()) === 1);
  result.empty = await page.locator('#m-sd-list').innerText();

  // Refused: no camera and no microphone. The message names the field.
  await page.fill('#m-sd-name', 'Hall A');
  await page.click('#m-sd-attach');
  await until('the refusal is shown', async () => /camera/.test(await page.locator('#m-sd-status').innerText()));
  result.refused = await page.locator('#m-sd-status').innerText();

  await page.selectOption('#m-sd-microphone', 'alsa:testmic');
  await page.check('#m-sd-start');
  await page.click('#m-sd-attach');
  await until('the attachment is listed', async () => /Hall A/.test(await page.locator('#m-sd-list').innerText()));
  result.listed = await page.locator('#m-sd-list').innerText();
  await until('Hall A joins the roster (the room starts for it)', async () =>
    /Hall A/.test(await page.locator('#m-roster tbody').innerText()));
  result.roster = await page.locator('#m-roster tbody').innerText();

  await page.click('#m-sd-list button.detach');
  await until('the list is empty again', async () => !/Hall A/.test(await page.locator('#m-sd-list').innerText()));
  await until('Hall A leaves the roster', async () => !/Hall A/.test(await page.locator('#m-roster tbody').innerText()));
  check(result.page_errors.length === 0, `no script errors: ${result.page_errors}`);
});
