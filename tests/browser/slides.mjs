// The slide show: the presenter (with the slide show right) opens a two-page PDF on the
// conference page; its first page (red) fills the content slot of the conference's picture
// (RTSP), Next turns to the second (blue), Stop ends it. A participant without the right has no
// slide show controls, and the server refuses his page's attempt anyway.
// Env: BASE, CONF, RTSP, PDF, OWNER/OWNER_PASSWORD, USER/USER_PASSWORD, Y4M. Prints one JSON line.
import { execFileSync } from 'node:child_process';
import { env, launch, scenario, signedIn, sleep, until } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF');
const browser = await launch(env('Y4M'));

function grab() {
  return execFileSync('ffmpeg', ['-v', 'error', '-rtsp_transport', 'tcp', '-i', env('RTSP'), '-an',
    '-vf', 'select=gte(n\\,5)', '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}
// Samples of a strong colour in a frame: 'red' or 'blue'.
function count(raw, colour) {
  let n = 0;
  for (let i = 0; i + 2 < raw.length; i += 3 * 7) {
    const [r, g, b] = [raw[i], raw[i + 1], raw[i + 2]];
    if (colour === 'red' && r > 190 && g < 70 && b < 70) n++;
    if (colour === 'blue' && b > 190 && r < 70 && g < 70) n++;
  }
  return n;
}
async function seen(colour) {
  let best = 0;
  for (let i = 0; i < 20; i++) {
    best = Math.max(best, count(grab(), colour));
    if (best > 8000) break;
    await sleep(500);
  }
  return best;
}

async function joined(login, password) {
  const page = await signedIn(browser, BASE, login, password);
  await page.goto(`${BASE}/c/${CONF}`);
  await page.click('#join-browser');
  await until(`${login}'s call shows`, () => page.locator('#call').isVisible(), 30000);
  await until(`${login} is connected`, () => page.evaluate(() => window.tessera.pc && window.tessera.pc.connectionState === 'connected'), 30000);
  return page;
}

await scenario(browser, async (result) => {
  const owner = await joined(env('OWNER'), env('OWNER_PASSWORD'));
  const before = grab();
  result.red_before = count(before, 'red');
  result.blue_before = count(before, 'blue');
  await owner.setInputFiles('#slides-file', env('PDF'));
  result.page_label = await until('the first page is shown', async () => {
    const t = await owner.locator('#slide-page').innerText();
    return t.length ? t : null;
  });
  const roster = async () => (await (await owner.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json()).participants;
  result.content_name = await until('the slides join as content', async () => {
    const c = (await roster()).find((p) => p.kind === 'screen');
    return c ? c.name : null;
  });
  result.red_first = await seen('red');
  await owner.click('#slide-next');
  result.page_label_next = await until('the second page is shown', async () => {
    const t = await owner.locator('#slide-page').innerText();
    return t !== result.page_label ? t : null;
  });
  result.blue_second = await seen('blue');
  result.red_second = count(grab(), 'red');
  await owner.click('#slides-stop');
  await until('the slides leave', async () => !(await roster()).some((p) => p.kind === 'screen'));
  result.controls_hidden_after = await owner.locator('#slides-controls').isHidden();

  // Without the right: no controls; the page's own attempt is refused by the server.
  const user = await joined(env('USER'), env('USER_PASSWORD'));
  result.user_has_slides = await user.locator('#slides').count() > 0;
  await user.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 64; c.height = 36;
    c.getContext('2d').fillRect(0, 0, 64, 36);
    window.tessera.shareStream(c.captureStream(5));
  });
  result.user_refused = await until('the refusal shows', async () => {
    const t = await user.locator('#join-status').innerText();
    return t.includes('right') ? t : null;
  });
});
