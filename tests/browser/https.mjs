// HTTPS with Tessera's own CA, from another machine's point of view: Chromium (trusting the CA
// by its key hash, as a user who added it would) opens the plain http:// address of the server's
// LAN address, is redirected to https://, finds a secure context (camera and microphone
// allowed), joins the demo room as a guest with its fake camera and decodes the room's picture.
// Env: HTTP_URL (http://ADDR:PORT), SPKI (base64 SHA-256 of the CA's public key), Y4M.
// Prints one JSON line of findings.
import { check, env, launch, until } from './lib.mjs';

const result = {};
const browser = await launch(env('Y4M'), [`--ignore-certificate-errors-spki-list=${env('SPKI')}`]);
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${env('HTTP_URL')}/c/demo`);
  result.url = page.url();
  result.secure_context = await page.evaluate(() => window.isSecureContext);
  result.media_devices = await page.evaluate(() => !!(navigator.mediaDevices && navigator.mediaDevices.getUserMedia));
  await page.fill('#guest-name', 'Remote guest');
  await page.click('#join-guest');
  await until('the call section shows', () => page.locator('#call').isVisible(), 30000);
  result.frames = await until('frames are decoded', async () => page.evaluate(async () => {
    const pc = window.tessera && window.tessera.pc;
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
    return n >= 10 ? n : 0;
  }), 30000);
  result.sent = await page.evaluate(async () => {
    let n = 0;
    (await window.tessera.pc.getStats()).forEach((s) => { if (s.type === 'outbound-rtp' && s.kind === 'video') n = s.framesSent || 0; });
    return n;
  });
  // The sign-in page's cookie is Secure.
  await page.goto(`${new URL(page.url()).origin}/login`);
  const cookies = await ctx.cookies();
  result.cookies = cookies.map((c) => ({ name: c.name, secure: c.secure }));
  check(cookies.length > 0, 'the sign-in page sets a cookie');
  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
