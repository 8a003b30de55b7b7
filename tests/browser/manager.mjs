// The conference manager in headless Chromium. Env: BASE, RTSP (the room's RTSP URL), W, H (the
// canvas), CONF (a running room with silent Red, Green, Blue, Yellow synthetic
// participants), ROOM_SYSTEM (the SIP address of a baresip that answers by itself, added with
// "Add participants" as "Room system"), LOGIN/PASSWORD (the owner), OTHER/OTHER_PASSWORD (a
// participant who is not a moderator), OUT. Prints one JSON line of findings.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, env, launch, until, untilMeasured, volumeDb } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF'), OUT = env('OUT');
const W = Number(env('W')), H = Number(env('H'));
// One RGB frame of the room from RTSP.
function grab() {
  return execFileSync('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', env('RTSP'), '-an', '-vf', 'select=gte(n\\,5)',
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
const at = (raw, x, y) => { const i = (y * W + x) * 3; return [raw[i], raw[i + 1], raw[i + 2]]; };
// Nearly white pixels in a rectangle (name labels are white text).
const white = (raw, x0, y0, w, h) => {
  let n = 0;
  for (let y = y0; y < y0 + h; y++) for (let x = x0; x < x0 + w; x++) { const [r, g, b] = at(raw, x, y); if (r > 200 && g > 200 && b > 200) n++; }
  return n;
};
// The mean volume of the room's mix over `seconds`, after skipping the first second of the
// stream (what the RTSP server had buffered before).
const browser = await launch();
const result = {};
const signIn = async (login, password) => {
  const ctx = await browser.newContext();
  const r = await ctx.request.post(BASE + '/api/v1/session', { data: { login, password } });
  check(r.ok(), `${login} signs in`);
  return { ctx, csrf: (await r.json()).csrf_token };
};
try {
  // Someone without the right: refused by the page and the API.
  const other = await signIn(env('OTHER'), env('OTHER_PASSWORD'));
  const refused = await other.ctx.request.get(`${BASE}/conferences/${CONF}/manage`);
  result.other_page = refused.status();
  const api = await other.ctx.request.post(`${BASE}/api/v1/conferences/${CONF}/live`,
    { headers: { 'X-CSRF-Token': other.csrf }, data: { action: 'end' } });
  result.other_api = api.status();

  const { ctx, csrf } = await signIn(env('LOGIN'), env('PASSWORD'));
  const live = async () => (await ctx.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json();
  // From the card in Meetings/Virtual rooms.
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  result.page_errors = [];
  page.on('pageerror', (e) => result.page_errors.push(e.message));
  await page.goto(`${BASE}/rooms?selected=${CONF}`);
  await page.click('#manage');
  await page.waitForURL(/\/manage$/);
  result.name = await page.locator('#m-name').innerText();
  await until('the roster shows four participants', async () => (await page.locator('#m-roster tbody tr').count()) === 4);
  // Add participants: a bad address is refused at once; the room system's address is called.
  await page.fill('#m-add-address', 'h323:10.0.0.7');
  await page.click('#m-call-address');
  await until('the H.323 address is refused', async () => /H\.323/.test(await page.locator('#m-add-status').innerText()));
  result.bad_address = await page.locator('#m-add-status').innerText();
  await page.fill('#m-add-address', env('ROOM_SYSTEM'));
  await page.fill('#m-add-name', 'Room system');
  await page.click('#m-call-address');
  await until('the roster shows five participants', async () => (await page.locator('#m-roster tbody tr').count()) === 5);
  await until('the call shows as joined', async () =>
    (await page.evaluate(() => window.tesseraManagerCalls())).some((c) => c.name === 'Room system' && c.kind === 'joined'));
  result.calls = await page.evaluate(() => window.tesseraManagerCalls());
  await until('the running time shows', async () => /\d\d:\d\d:\d\d/.test(await page.locator('#m-duration').innerText()));
  result.rtsp = await page.locator('#m-rtsp').innerText();
  const ids = Object.fromEntries((await live()).participants.map((p) => [p.name, p.id]));
  const cameraOf = async (name) => (await live()).participants.find((p) => p.name === name).camera;

  // Show control buttons: a window filled automatically shows, and controls, who it shows (the
  // earliest joiner first).
  await page.check('#m-show-controls');
  // Nobody applied a layout yet: the page says the grid is automatic (six windows for five).
  await until('the automatic grid is said', async () => page.locator('#m-adaptive').isVisible());
  check((await page.inputValue('#m-windows')) === '6', `five participants get six windows: ${await page.inputValue('#m-windows')}`);
  result.auto_shown = await page.evaluate(() => window.tesseraManagerShown());
  check(result.auto_shown[0] === ids.Red, `the first automatic window shows Red: ${JSON.stringify(result.auto_shown)}`);
  await page.locator('#m-grid .pane[data-slot="0"] button.cam').click();
  await until('Red camera off from its window', async () => (await cameraOf('Red')) === false);
  await page.locator('#m-grid .pane[data-slot="0"] button.cam').click();
  await until('Red camera back on', async () => (await cameraOf('Red')) === true);
  await page.uncheck('#m-show-controls');

  // A 2x2 grid with names at the bottom, the windows chosen, then two swapped by dragging.
  await page.selectOption('#m-kind', 'grid');
  await page.fill('#m-windows', '4');
  await page.locator('#m-windows').dispatchEvent('change');
  await page.selectOption('#m-names', 'bottom');
  await page.click('#m-advanced summary');
  await page.uncheck('#m-auto');
  const pane = (i) => page.locator(`#m-grid .pane[data-slot="${i}"]`);
  for (const [i, name] of [[0, 'Blue'], [1, 'Red'], [2, 'Green'], [3, 'Yellow']]) {
    await pane(i).locator('select').selectOption(`p:${ids[name]}`);
  }
  // Dragged by the window's number (its select takes clicks of its own).
  await pane(0).dragTo(pane(1), { sourcePosition: { x: 6, y: 6 }, targetPosition: { x: 6, y: 6 } });
  // The same from the keyboard: swap windows 3 and 4 and back, make window 2 the large one and
  // back (the kind is put back as the page itself changes it, without an event).
  const order = () => page.locator('#m-grid .slot-select').evaluateAll((s) => s.map((x) => x.value));
  const dragged = await order();
  const focusedSlot = () => page.evaluate(() => document.activeElement.closest('.pane')?.dataset.slot);
  await pane(2).locator('button.later').focus();
  await page.keyboard.press('Enter');
  const swapped = await order();
  check(swapped[2] === dragged[3] && swapped[3] === dragged[2], 'Enter on → swaps windows 3 and 4: ' + JSON.stringify(swapped));
  check(await focusedSlot() === '3', 'the focus moves with the window');
  await pane(3).locator('button.earlier').focus();
  await page.keyboard.press('Space');
  check(JSON.stringify(await order()) === JSON.stringify(dragged), 'and back: ' + JSON.stringify(await order()));
  await pane(1).locator('button.enlarge').focus();
  await page.keyboard.press('Enter');
  const enlarged = await order();
  check(enlarged[0] === dragged[1] && enlarged[1] === dragged[0], 'window 2 becomes the large one: ' + JSON.stringify(enlarged));
  check(await page.inputValue('#m-kind') === 'one_large_beside', 'with a large window: ' + await page.inputValue('#m-kind'));
  await pane(1).locator('button.enlarge').focus();
  await page.keyboard.press('Enter');
  await page.evaluate(() => { document.getElementById('m-kind').value = 'grid'; });
  check(JSON.stringify(await order()) === JSON.stringify(dragged), 'and back: ' + JSON.stringify(await order()));
  result.keyboard_swaps = true;
  result.slots_before_apply = await order();
  await page.click('#m-apply');
  await until('applied', async () => (await page.locator('#m-layout-status').innerText()).includes('✓'));
  await until('the automatic grid note goes once a layout is applied', async () => !(await page.locator('#m-adaptive').isVisible()));
  // The picture follows within frames; a busy machine may take longer: wait for it (the test
  // asserts the same colours, with the last measurement when it never came).
  const quadrants = (raw) => ({ tl: at(raw, W / 4, H / 4), tr: at(raw, 3 * W / 4, H / 4), bl: at(raw, W / 4, 3 * H / 4), br: at(raw, 3 * W / 4, 3 * H / 4) });
  const near = (p, c) => p.every((v, i) => Math.abs(v - c[i]) < 60);
  let raw;
  result.grid = await untilMeasured('the room shows the applied 2x2 grid', () => quadrants(raw = grab()),
    (g) => near(g.tl, [230, 30, 30]) && near(g.tr, [30, 30, 230]) && near(g.bl, [30, 200, 30]) && near(g.br, [230, 230, 30]), 30000)
    .catch((e) => { result.grid_error = String(e); return quadrants(raw); });
  fs.writeFileSync(path.join(OUT, 'manager-grid.rgb'), raw);
  // The label band of the top-left window (Red) before and after renaming it in this layout.
  const band = (r) => white(r, 4, H / 2 - 40, W / 2 - 8, 36);
  result.label_before = band(raw);
  await page.locator(`#m-roster tr[data-id="${ids.Red}"] button.rename`).click();
  await page.fill('.rename-input', 'Rosalind ');
  // Every pushed state redraws the roster: what is being typed stays, with the focus. Another
  // operator changes Yellow's level meanwhile; the typing goes on from the keyboard.
  const yellowGain = page.locator(`#m-roster tr[data-id="${ids.Yellow}"] input.gain`);
  await ctx.request.post(`${BASE}/api/v1/conferences/${CONF}/live`, { headers: { 'X-CSRF-Token': csrf },
    data: { action: 'device', participant: ids.Yellow, gain: 1.5 } });
  await until('the roster is redrawn with the new level', async () => (await yellowGain.inputValue()) === '1.5');
  await page.keyboard.type('Redfern-Montgomery');
  result.typed_through_a_redraw = await page.inputValue('.rename-input');
  await page.keyboard.press('Enter');
  await until('the roster shows the rename applied', async () => ((await live()).layouts.all.display_names || {})[ids.Red] === 'Rosalind Redfern-Montgomery');
  result.label_after = await untilMeasured('the longer name fills more of the label', () => band(raw = grab()),
    (n) => n > result.label_before + result.label_before / 3, 30000).catch(() => band(raw));
  fs.writeFileSync(path.join(OUT, 'manager-renamed.rgb'), raw);

  // Mute the room system, the only one making a sound (a tone): the mix goes quiet.
  const room = ids['Room system'];
  // Whose media is encrypted: the room system called over plain RTP is not; a synthetic
  // participant has no network media and no mark.
  result.room_media = await page.locator(`#m-roster tr[data-id="${room}"] .media-plain`).innerText();
  // Its link, from its RTCP: loss and jitter of what it receives, the rate it sends.
  result.room_link = await until('the room system\'s link figures show', async () => {
    const l = page.locator(`#m-roster tr[data-id="${room}"] .link-figures`);
    const t = (await l.count()) ? await l.innerText() : '';
    return /loss .* · jitter .* · \d+ kbit\/s/.test(t) ? t : null;
  }, 30000);
  result.red_marks = await page.locator(`#m-roster tr[data-id="${ids.Red}"] .media-plain, #m-roster tr[data-id="${ids.Red}"] .media-encrypted`).count();
  result.volume_before = volumeDb(2);
  await page.locator(`#m-roster tr[data-id="${room}"] button.mic`).click();
  await until('the roster shows the microphone off', async () => (await page.locator(`#m-roster tr[data-id="${room}"] td.mic-state`).innerText()) === 'off');
  // Each measurement starts after the mute (volumeDb skips what was queued before it).
  result.volume_after = await untilMeasured('the mix goes quiet', () => volumeDb(2),
    (v) => v < result.volume_before - 20, 30000).catch(() => volumeDb(2));

  // Several at once: Green and Blue cameras off.
  await page.locator(`#m-roster tr[data-id="${ids.Green}"] input.select`).check();
  await page.locator(`#m-roster tr[data-id="${ids.Blue}"] input.select`).check();
  await page.click('#m-bulk-cam-off');
  await until('both cameras off', async () => (await live()).participants.filter((p) => !p.camera).length === 2);
  result.cameras_off = (await live()).participants.filter((p) => !p.camera).map((p) => p.name).sort();

  // The live roster: someone joins and leaves while the page is open.
  const add = await ctx.request.post(`${BASE}/api/v1/conferences/${CONF}/live`, { headers: { 'X-CSRF-Token': csrf },
    data: { action: 'add_synthetic', name: 'Late Lime', colour: [120, 220, 40], tone_hz: 0 } });
  check(add.ok(), 'add a late participant');
  const late = (await add.json()).participants.find((p) => p.name === 'Late Lime').id;
  await until('the late participant appears', async () => (await page.locator(`#m-roster tr[data-id="${late}"]`).count()) === 1);
  await ctx.request.post(`${BASE}/api/v1/conferences/${CONF}/live`, { headers: { 'X-CSRF-Token': csrf }, data: { action: 'remove', participant: late } });
  await until('the late participant disappears', async () => (await page.locator(`#m-roster tr[data-id="${late}"]`).count()) === 0);

  // Two operators edit at once: the second, applying from a stale version, is told so; after
  // reloading, theirs applies; everyone sees the last applied layout.
  const page2 = await ctx.newPage();
  await page2.goto(`${BASE}/conferences/${CONF}/manage`);
  await until('page 2 loads', async () => (await page2.locator('#m-roster tbody tr').count()) === 5);
  // Page 2 starts editing; page 1 applies first; page 2's edit is based on the older version.
  await page2.fill('#m-windows', '2');
  await page2.locator('#m-windows').dispatchEvent('change');
  await page.fill('#m-windows', '9');
  await page.locator('#m-windows').dispatchEvent('change');
  await page.click('#m-apply');
  await until('page 1 applied', async () => (await live()).layouts.all.windows === 9);
  await page2.click('#m-apply');
  await until('page 2 is refused', async () => (await page2.locator('#m-error').innerText()).includes('reload'));
  result.stale_error = await page2.locator('#m-error').innerText();
  result.after_stale = (await live()).layouts.all.windows;
  await page2.fill('#m-windows', '2');
  await page2.locator('#m-windows').dispatchEvent('change');
  await page2.click('#m-apply');
  await until('page 2 applied after reloading', async () => (await live()).layouts.all.windows === 2);
  await until('page 1 shows page 2 layout', async () => (await page.locator('#m-windows').inputValue()) === '2');

  // Out-of-range windows: a clear message, nothing changes.
  await page.fill('#m-windows', '30');
  await page.click('#m-apply');
  await until('refused', async () => (await page.locator('#m-error').innerText()).length > 0);
  result.range_error = await page.locator('#m-error').innerText();
  result.after_range = (await live()).layouts.all.windows;

  // Remove the room system: its call ends.
  const phone = (await live()).participants.find((p) => p.name === 'Room system');
  result.phone_kind = phone && phone.kind;
  await page.locator(`#m-roster tr[data-id="${phone.id}"] button.remove`).click();
  await until('the phone is gone', async () => !(await live()).participants.some((p) => p.id === phone.id));

  // End for everyone.
  await page.click('#m-end');
  await page.click('#m-end-confirm');
  await until('the conference ends', async () => !(await live()).running);
  await until('the page says so', async () => (await page.locator('#m-status').innerText()) !== '' && (await page.locator('#m-roster tbody tr').count()) === 0);
  await page.screenshot({ path: path.join(OUT, 'manager.png'), fullPage: true });
  result.ok = true;
} catch (e) {
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
