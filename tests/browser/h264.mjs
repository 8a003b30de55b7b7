// H.264 to browsers: two guests join a public room whose only picture is a synthetic
// participant; one page asks for H.264 (`?video=h264`, what Safari's offers do by themselves),
// the other keeps Chromium's own order (VP8 first). Env: BASE, CONF, Y4M, METRICS (the server's
// /metrics URL).
// Prints one JSON line: for each guest, the codec of the video it decodes and sends, frames
// decoded; and the codecs of the participants in the server's live state.
import { check, env, launch, scenario, until } from './lib.mjs';

const BASE = env('BASE');
const CONF = env('CONF');
const browser = await launch(env('Y4M'));

async function video(page) {
  return page.evaluate(async () => {
    const pc = window.tessera && window.tessera.pc;
    if (!pc) return null;
    const stats = await pc.getStats();
    const out = { framesDecoded: 0, inCodec: null, outCodec: null, decoder: null };
    stats.forEach((s) => {
      const codec = (id) => { const c = id && stats.get(id); return c ? c.mimeType : null; };
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded = s.framesDecoded || 0;
        out.inCodec = codec(s.codecId);
        out.decoder = s.decoderImplementation || null;
      }
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.outCodec = codec(s.codecId);
    });
    return out;
  });
}

await scenario(browser, async (result) => {
  const admin = await browser.newContext();
  const login = await admin.request.post(BASE + '/api/v1/session', { data: { login: 'admin', password: 'admin-password' } });
  check(login.ok(), 'the administrator signs in: ' + login.status());
  const csrf = (await login.json()).csrf_token;
  const live = async (data) => admin.request.post(`${BASE}/api/v1/conferences/${CONF}/live`, { data, headers: { 'X-CSRF-Token': csrf } });
  check((await live({ action: 'add_synthetic', name: 'Red square', colour: [220, 30, 30], tone_hz: 0 })).ok(), 'the room starts');

  for (const [who, query] of [['h264', '?video=h264'], ['vp8', '']]) {
    const page = await (await browser.newContext()).newPage();
    page.setDefaultTimeout(30000);
    page.on('pageerror', (e) => console.error('page error:', e.message));
    await page.goto(`${BASE}/c/${CONF}${query}`);
    await page.fill('#guest-name', `Guest ${who}`);
    await page.click('#join-guest');
    result[who] = await until(`the ${who} guest decodes frames`, async () => {
      const s = await video(page);
      return s && s.framesDecoded >= 30 && s.inCodec ? s : null;
    }, 40000);
  }
  const state = await (await admin.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json();
  result.participants = state.participants.map((p) => ({ id: p.id, name: p.name, kind: p.kind, encrypted: p.encrypted }));
  // Each guest's link figures, while both are in: the rate it sends (counted as it arrives)
  // and, once its browser has sent a receiver report, loss and jitter, and the round trip once
  // a report answers one of Tessera's sender reports.
  result.metrics = await until('the guests\' link figures are on /metrics', async () => {
    const text = await (await admin.request.get(env('METRICS'))).text();
    const lines = text.split('\n').filter((l) => l.startsWith('tessera_participant_'));
    const jitter = lines.filter((l) => l.startsWith('tessera_participant_jitter_seconds{')).length;
    const rate = lines.filter((l) => l.startsWith('tessera_participant_receive_bits_per_second{')).length;
    const rtt = lines.filter((l) => l.startsWith('tessera_participant_round_trip_seconds{')).length;
    return jitter >= 2 && rate >= 2 && rtt >= 2 ? lines : null;
  }, 20000);
});
