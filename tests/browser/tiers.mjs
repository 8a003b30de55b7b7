// Quality tiers: two guests watch the same room. "Slow Sam" may only use the TURN relay the page
// names (iceTransportPolicy "relay"), and the test's namespace lets what the server sends him
// reach that relay at 700 kbit/s; "Fast Fay" connects directly. Env: BASE, CONF (a public room), Y4M (the fake
// camera, with motion and grain so that the layout really takes its bitrate), METRICS (the
// server's /metrics URL), WATCH (seconds to watch once both decode), FULL_WIDTH (the full tier's
// picture width).
// Both start at the half tier, and Fay ramps up to the full one within seconds.
// Prints one JSON line: each guest's participant id, the samples taken while watching (each
// guest's tier on /metrics and the width of the picture it decodes), and the first sample where
// Sam was on a lower tier, with the picture to show it, while Fay was on the full one.
import { check, env, launch, scenario, sleep, until } from './lib.mjs';

const BASE = env('BASE');
const CONF = env('CONF');
const browser = await launch(env('Y4M'));

async function inbound(page) {
  return page.evaluate(async () => {
    const pc = window.tessera && window.tessera.pc;
    if (!pc) return null;
    let v = null;
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') v = s; });
    return v && { framesDecoded: v.framesDecoded || 0, width: v.frameWidth || 0, height: v.frameHeight || 0 };
  });
}

async function guest(name, relay) {
  const ctx = await browser.newContext();
  await ctx.addInitScript((relay) => {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = function (config) {
      return new Native(relay ? { ...(config || {}), iceTransportPolicy: 'relay' } : config);
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }, relay);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE}/c/${CONF}`);
  await page.fill('#guest-name', name);
  await page.click('#join-guest');
  await until(`${name} decodes frames`, async () => {
    const s = await inbound(page);
    return s && s.framesDecoded >= 15 ? s : null;
  }, 40000);
  return page;
}

await scenario(browser, async (result) => {
  const admin = await browser.newContext();
  const login = await admin.request.post(BASE + '/api/v1/session', { data: { login: 'admin', password: 'admin-password' } });
  check(login.ok(), 'the administrator signs in: ' + login.status());
  const csrf = (await login.json()).csrf_token;
  const started = await admin.request.post(`${BASE}/api/v1/conferences/${CONF}/live`,
    { data: { action: 'add_synthetic', name: 'Red square', colour: [220, 30, 30], tone_hz: 0 }, headers: { 'X-CSRF-Token': csrf } });
  check(started.ok(), 'the room starts: ' + started.status());

  const fay = await guest('Fast Fay', false);
  const sam = await guest('Slow Sam', true);
  const state = await (await admin.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json();
  const id = (name) => { const p = state.participants.find((p) => p.name === name); check(p, `${name} is in`); return p.id; };
  result.ids = { fay: id('Fast Fay'), sam: id('Slow Sam') };
  const tierOf = (text, who) => {
    const label = `tessera_participant_video_tier{conference="${CONF}",participant="${result.ids[who]}"} `;
    const line = text.split('\n').find((l) => l.startsWith(label));
    return line ? Number(line.slice(label.length)) : null;
  };

  // Browsers start at the half tier and ramp up within seconds on a clean link. The metric moves
  // when the server decides; the picture follows with the full tier's next keyframe, so both are
  // waited for before watching (a sample between the two would show Fay's old, smaller picture).
  await until('Fay reaches the full tier and decodes its picture', async () =>
    tierOf(await (await admin.request.get(env('METRICS'))).text(), 'fay') === 1
      && (await inbound(fay))?.width === Number(env('FULL_WIDTH')), 20000);
  result.samples = [];
  const end = Date.now() + Number(env('WATCH')) * 1000;
  while (Date.now() < end) {
    const text = await (await admin.request.get(env('METRICS'))).text();
    const [f, s] = [await inbound(fay), await inbound(sam)];
    const sample = { at: Date.now(), fayTier: tierOf(text, 'fay'), samTier: tierOf(text, 'sam'),
      fayWidth: f && f.width, samWidth: s && s.width, fayFrames: f && f.framesDecoded, samFrames: s && s.framesDecoded };
    result.samples.push(sample);
    if (!result.lower && sample.samTier > 1 && sample.fayTier === 1 && sample.samWidth > 0 && sample.samWidth < sample.fayWidth) {
      result.lower = sample;
    }
    await sleep(1000);
  }
});
