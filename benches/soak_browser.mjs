// The soak's browser participant (see soak.py): headless Chromium with its fake camera and
// microphone joins the public room ROOM at BASE as a guest, waits for the room's picture to be
// decoded, stays 5 s, hangs up, closes the page and joins again from a new one, until SECONDS
// have passed. Prints {"joins": N, "failures": M} (a failure: no decoded frame within 20 s).
// Env: BASE, ROOM, SECONDS, PLAYWRIGHT (the path of playwright-core), CHROMIUM.
const env = (k, d) => process.env[k] || d;
import { launch } from './lib/chromium.mjs';
const BASE = env('BASE');
const ROOM = env('ROOM');
const deadline = Date.now() + Number(env('SECONDS', '60')) * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const browser = await launch();

async function decoded(page) {
  return page.evaluate(async () => {
    const pc = window.tessera && window.tessera.pc;
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
    return n;
  });
}

let joins = 0, failures = 0;
try {
  while (Date.now() + 8000 < deadline) {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    page.setDefaultTimeout(20000);
    try {
      await page.goto(`${BASE}/c/${ROOM}`);
      await page.fill('#guest-name', `Soak ${joins + failures + 1}`);
      await page.click('#join-guest');
      const t0 = Date.now();
      while (await decoded(page) === 0 && Date.now() - t0 < 20000) await sleep(100);
      if (await decoded(page) > 0) joins++; else failures++;
      await sleep(5000);
      await page.click('#hangup');
    } catch (e) {
      failures++;
      console.error(`a join failed: ${e.message}`);
    }
    await ctx.close();
    await sleep(500);
  }
} finally {
  await browser.close();
}
console.log(JSON.stringify({ joins, failures }));
