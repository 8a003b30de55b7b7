// A picture nobody sees is not decoded. A browser guest joins a public room (started by the
// administrator with a synthetic participant, who then leaves, so every frame the server
// decodes is the browser's). The administrator turns the guest's camera off: the server stops
// decoding its video (tessera_media_frames_not_decoded_total grows, frames received do not);
// back on, it decodes again from a keyframe (asked for with a PLI unless the page's encoder,
// scaling back up, sends one first). And the
// page is told the largest window its picture is in and sends its camera scaled down to it.
// Env: BASE, CONF, Y4M (640x360), METRICS (the server's /metrics). Prints one JSON line of the
// counters and sizes.
import { adminApi, check, env, launch, scenario, sleep, until } from './lib.mjs';

const BASE = env('BASE');
const CONF = env('CONF');
const browser = await launch(env('Y4M'));
await scenario(browser, async (result) => {
  const admin = await adminApi(browser, BASE);
  const live = (data) => admin.live(CONF, data);
  const started = await live({ action: 'add_synthetic', name: 'Red square', colour: [220, 30, 30], tone_hz: 0 });
  check(started.ok(), 'the room starts: ' + started.status());
  const metric = async (name) => {
    const text = await (await admin.request.get(env('METRICS'))).text();
    const line = text.split('\n').find((l) => l.startsWith(name + ' '));
    return line ? Number(line.split(' ')[1]) : 0;
  };

  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  await page.goto(`${BASE}/c/${CONF}`);
  await page.fill('#guest-name', 'Unseen Ursula');
  await page.click('#join-guest');
  const participants = async () => (await (await admin.request.get(`${BASE}/api/v1/conferences/${CONF}/live`)).json()).participants;
  const me = (await until('the guest is in the room', async () => (await participants()).find((p) => p.kind === 'webrtc'))).id;
  const synthetic = (await participants()).find((p) => p.kind === 'synthetic').id;
  check((await live({ action: 'remove', participant: synthetic })).ok(), 'the synthetic participant leaves');
  const received = 'tessera_media_frames_received_total';
  const notDecoded = 'tessera_media_frames_not_decoded_total';
  const asked = 'tessera_media_keyframes_asked_total';
  const r0 = await metric(received);
  await until('the server decodes the browser', async () => (await metric(received)) >= r0 + 30, 30000);
  // The server told the page the largest window its picture is in, and the page sends no more.
  result.shownAt = await until('the server says where the picture is shown', async () =>
    (await participants()).find((p) => p.id === me).shown_at);
  result.sent = await until('the page scales its camera down', async () => page.evaluate(async () => {
    let out = null;
    (await window.tessera.pc.getStats()).forEach((s) => {
      if (s.type === 'outbound-rtp' && s.kind === 'video' && s.frameWidth) out = { width: s.frameWidth, height: s.frameHeight };
    });
    return out && window.tessera.sendScale && out.width <= 640 / window.tessera.sendScale ? { ...out, scale: window.tessera.sendScale } : null;
  }));

  check((await live({ action: 'device', participant: me, camera: false })).ok(), 'the camera goes off');
  const n0 = await metric(notDecoded);
  await until('the unseen picture is not decoded', async () => (await metric(notDecoded)) >= n0 + 20, 20000);
  const offReceived = await metric(received);
  await sleep(1500);
  result.receivedWhileOff = (await metric(received)) - offReceived;
  result.notDecodedWhileOff = (await metric(notDecoded)) - n0;

  const a0 = await metric(asked);
  const r1 = await metric(received);
  check((await live({ action: 'device', participant: me, camera: true })).ok(), 'the camera goes on');
  await until('the picture is decoded again', async () => (await metric(received)) >= r1 + 30, 20000);
  result.asked = (await metric(asked)) - a0;
  const n1 = await metric(notDecoded);
  await sleep(1500);
  result.notDecodedWhileOn = (await metric(notDecoded)) - n1;
});
