// Browsers join conferences over WebRTC from the conference page. Runs inside the test's network
// namespace (only loopback), like the server. Env: BASE, RTSP (the conference's RTSP URL),
// LOGIN, PASSWORD (a licensed user who owns CONF), CONF (a private room), WEBINAR (a public
// room), PINCONF (a public room with PIN), PIN, PRIVATE (a private room the user is not in),
// Y4M (the fake camera), OUT (a directory for the grabbed frame and screenshots).
// Prints one JSON line of findings; the Rust test asserts on them.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { check, env, launch, sleep, until, volumeDb } from './lib.mjs';

const BASE = env('BASE'), OUT = env('OUT');
const browser = await launch(env('Y4M'));
const result = {};

async function videoStats(page) {
  return page.evaluate(async () => {
    const pc = window.tessera && window.tessera.pc;
    if (!pc) return null;
    const out = { framesDecoded: 0, packetsReceived: 0, audioPackets: 0, codec: null };
    const stats = await pc.getStats();
    stats.forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.framesDecoded = s.framesDecoded || 0;
        out.packetsReceived = s.packetsReceived || 0;
        out.width = s.frameWidth;
        const c = s.codecId && stats.get(s.codecId);
        out.codec = c ? c.mimeType : null;
      }
      if (s.type === 'inbound-rtp' && s.kind === 'audio') out.audioPackets = s.packetsReceived || 0;
      if (s.type === 'outbound-rtp' && s.kind === 'video') out.framesSent = s.framesSent || 0;
    });
    return out;
  });
}

function ffmpeg(args) {
  return execFileSync('ffmpeg', args, { maxBuffer: 64 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
}

// One RGB frame of the conference from RTSP (after the first few, still refining quality).
function grab() {
  return ffmpeg(['-v', 'error', '-rtsp_transport', 'tcp', '-i', env('RTSP'), '-an', '-vf', 'select=gte(n\\,5)',
    '-frames:v', '1', '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-']);
}

try {
  // The owner signs in (API, sharing the context's cookies with the page) and fills the room
  // with two silent synthetic participants.
  const owner = await browser.newContext();
  const login = await owner.request.post(BASE + '/api/v1/session', { data: { login: env('LOGIN'), password: env('PASSWORD') } });
  check(login.ok(), 'owner signs in: ' + login.status());
  const csrf = (await login.json()).csrf_token;
  const api = async (conf, body) => {
    const r = await owner.request.post(`${BASE}/api/v1/conferences/${conf}/live`,
      { data: body, headers: { 'X-CSRF-Token': csrf } });
    check(r.ok(), `${JSON.stringify(body)}: ${r.status()} ${await r.text()}`);
    return r.json();
  };
  const conf = env('CONF');
  await api(conf, { action: 'add_synthetic', name: 'Red square', colour: [220, 30, 30], tone_hz: 0 });
  await api(conf, { action: 'add_synthetic', name: 'Blue square', colour: [30, 30, 220], tone_hz: 0 });

  // The owner joins from the browser.
  const page = await owner.newPage();
  page.setDefaultTimeout(20000);
  page.on('console', (m) => console.error('page:', m.text()));
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE}/c/${conf}`);
  result.title = await page.locator('#conference-name').innerText();
  check(await page.locator('#join-app').getAttribute('href') === `sip:${conf}@127.0.0.1`, 'Join from the application is a sip: link');
  const clicked = Date.now();
  await page.click('#join-browser');
  await until('the call section shows', () => page.locator('#call').isVisible());
  const first = await until('a first frame is decoded', async () => {
    const s = await videoStats(page);
    return s && s.framesDecoded > 0 ? s : null;
  });
  result.first_frame_ms = Date.now() - clicked;
  const stats = await until('30 frames decoded and audio received', async () => {
    const s = await videoStats(page);
    return s && s.framesDecoded >= 30 && s.audioPackets > 20 ? s : null;
  });
  result.owner = stats;
  result.owner_first = first;
  // On a phone the composed video fits its card, and nothing is wider than the screen.
  const desktop = page.viewportSize();
  await page.setViewportSize({ width: 360, height: 740 });
  result.narrow = await page.evaluate(() => {
    const card = document.getElementById('call').getBoundingClientRect();
    const video = document.getElementById('remote').getBoundingClientRect();
    return { card: [card.left, card.right], video: [video.left, video.right, video.height],
      page: document.documentElement.scrollWidth, screen: document.documentElement.clientWidth };
  });
  check(result.narrow.video[1] <= result.narrow.card[1] + 0.5 && result.narrow.video[0] >= result.narrow.card[0] - 0.5
    && result.narrow.video[2] > 0, 'the composed video fits its card at 360 px: ' + JSON.stringify(result.narrow));
  check(result.narrow.page <= result.narrow.screen, 'the conference page fits a 360 px screen: ' + JSON.stringify(result.narrow));
  if (desktop) await page.setViewportSize(desktop);

  // The room shows the browser's picture: grab a frame from RTSP.
  const live = await (await owner.request.get(`${BASE}/api/v1/conferences/${conf}/live`)).json();
  result.roster = live.participants.map((p) => ({ id: p.id, name: p.name, kind: p.kind, group: p.group, microphone: p.microphone }));
  // The server decodes the browser's picture a moment after the browser decodes the room's.
  const magenta = (raw) => {
    let n = 0;
    for (let i = 0; i + 2 < raw.length; i += 3 * 7) if (raw[i] > 200 && raw[i + 1] < 60 && raw[i + 2] > 200) n++;
    return n;
  };
  let raw = null;
  for (let i = 0; i < 10; i++) {
    raw = grab();
    if (magenta(raw) > 50) break;
    await sleep(500);
  }
  fs.writeFileSync(path.join(OUT, 'conference.rgb'), raw);
  await page.screenshot({ path: path.join(OUT, 'conference-page.png') });
  result.magenta_before_share = magenta(raw);

  // The conference manager sets up the browser's devices: its page listed them; the operator
  // picks another microphone and a speaker, and the page switches while the call goes on.
  const mine = live.participants.find((p) => p.kind === 'webrtc').id;
  const mgr = await owner.newPage();
  mgr.setDefaultTimeout(20000);
  await mgr.goto(`${BASE}/conferences/${conf}/manage`);
  await mgr.locator(`#m-roster tr[data-id="${mine}"] button.devices`).click();
  await until('the devices panel shows', () => mgr.locator('#m-devices').isVisible());
  const options = (sel) => mgr.locator(`${sel} option`).evaluateAll((os) => os.map((o) => [o.value, o.textContent]));
  const mics = await options('#m-dev-microphone');
  const speakers = await options('#m-dev-speaker');
  result.microphones = mics.map((m) => m[1]);
  result.devices_before = await page.evaluate(() => window.tessera.devices());
  const mic = mics.find(([v]) => v !== result.devices_before.microphone && v !== 'default');
  const speaker = speakers.find(([v]) => v !== 'default');
  check(mic && speaker, `another microphone and a speaker to choose: ${JSON.stringify([mics, speakers])}`);
  await mgr.selectOption('#m-dev-microphone', mic[0]);
  await mgr.selectOption('#m-dev-speaker', speaker[0]);
  await mgr.click('#m-dev-apply');
  result.chosen = { microphone: mic[0], speaker: speaker[0] };
  result.devices_after = await until('the page uses the chosen devices', async () => {
    const d = await page.evaluate(() => window.tessera.devices());
    return d.microphone === mic[0] && d.speaker === speaker[0] ? d : null;
  });
  result.devices_notice = await page.locator('#device-notice').innerText();
  const decoded = (await videoStats(page)).framesDecoded;
  await until('frames keep coming after the switch', async () => (await videoStats(page)).framesDecoded > decoded + 10);
  // A synthetic participant has no such devices: refused, with the reason.
  const synth = live.participants.find((p) => p.kind !== 'webrtc');
  const refused = await owner.request.get(`${BASE}/api/v1/conferences/${conf}/participants/${synth.id}/devices`);
  result.synthetic_devices = [refused.status(), (await refused.json()).error];
  await mgr.close();

  // Screen sharing: the owner has the right; the screen fills the content slot, and the
  // participants' windows shrink beside it.
  const roster = async () => (await (await owner.request.get(`${BASE}/api/v1/conferences/${conf}/live`)).json()).participants;
  await page.click('#share');
  await until('the shared screen joins', async () => (await roster()).some((p) => p.kind === 'screen'));
  result.share_connected = await until('the share connects', () =>
    page.evaluate(() => window.tessera.sharePc && window.tessera.sharePc.connectionState === 'connected'));
  let shared = null;
  for (let i = 0; i < 20; i++) {
    shared = grab();
    const m = magenta(shared);
    if (m > 0 && m < result.magenta_before_share / 2) break;
    await sleep(500);
  }
  fs.writeFileSync(path.join(OUT, 'shared.rgb'), shared);
  result.magenta_while_sharing = magenta(shared);
  result.screen_name = (await roster()).find((p) => p.kind === 'screen').name;
  await page.click('#share');
  await until('the shared screen leaves', async () => !(await roster()).some((p) => p.kind === 'screen'));

  // Recording in the client (the owner has the right): three seconds of what the page receives,
  // saved as a WebM file.
  await page.click('#record');
  result.record_pressed = await page.locator('#record').getAttribute('aria-pressed');
  await sleep(3000);
  const [recording] = await Promise.all([page.waitForEvent('download'), page.click('#record')]);
  await recording.saveAs(path.join(OUT, 'client-recording.webm'));
  result.client_recording = recording.suggestedFilename();

  // The only sound in the room is the browser's (the synthetic participants are silent); muted
  // through the control interface, the mix goes silent and the page says so.
  result.volume_before = volumeDb(3);
  const me = live.participants.find((p) => p.kind === 'webrtc');
  // A browser's media is DTLS-SRTP: the live state says so, and the page tells its visitor.
  result.me_encrypted = me.encrypted;
  result.media_security = await page.locator('#media-security').innerText();
  await api(conf, { action: 'device', participant: me.id, microphone: false });
  await until('the page shows the operator muted the microphone',
    async () => (await page.locator('#device-notice').innerText()).length > 0);
  result.notice = await page.locator('#device-notice').innerText();
  result.mic_pressed = await page.locator('#mic').getAttribute('aria-pressed');
  // The runtime applied it (the roster says so) before the measurement starts.
  await until('the roster shows the microphone off', async () =>
    (await roster()).some((p) => p.id === me.id && p.microphone === false));
  result.volume_after = volumeDb(3);

  // Unmuting oneself after the operator muted is refused.
  await page.click('#mic');
  await until('the refusal shows', async () => (await page.locator('#join-status').innerText()).includes('moderator'));

  // Chat: a message appears in the log and is kept for the history.
  await page.fill('#chat-text', 'Hello <b>everyone</b>');
  await page.click('#chat-form button');
  await until('the chat message comes back', async () => (await page.locator('#chat-log').innerText()).includes('Hello <b>everyone</b>'));
  const history = await (await owner.request.get(`${BASE}/api/v1/conferences/${conf}/chat`)).json();
  result.chat = history.map((m) => `${m.from}: ${m.text}`);

  // A guest joins the webinar with a name.
  const guestCtx = await browser.newContext();
  const guest = await guestCtx.newPage();
  guest.setDefaultTimeout(20000);
  await guest.goto(`${BASE}/c/${env('WEBINAR')}`);
  check(await guest.locator('#join-browser').count() === 0, 'a guest has no Join from the browser');
  result.guest_record_buttons = await guest.locator('#record').count();
  await guest.fill('#guest-name', 'Guest Gabriela');
  await guest.click('#join-guest');
  result.guest = await until('the guest decodes frames', async () => {
    const s = await videoStats(guest);
    return s && s.framesDecoded >= 10 ? s : null;
  });
  const wlive = await (await owner.request.get(`${BASE}/api/v1/conferences/${env('WEBINAR')}/live`)).json().catch(() => null);
  result.webinar_roster = wlive && wlive.participants ? wlive.participants.map((p) => p.name) : null;
  await guest.click('#hangup');

  // A wrong PIN is refused at the PIN field; the right one admits.
  await guest.goto(`${BASE}/c/${env('PINCONF')}`);
  await guest.fill('#guest-name', 'Guest Gabriela');
  await guest.fill('#pin', '0000');
  await guest.click('#join-guest');
  await until('the wrong PIN is refused', async () => (await guest.locator('#join-status').innerText()).includes('wrong PIN'));
  result.pin_invalid = await guest.locator('#pin').getAttribute('aria-invalid');
  await guest.fill('#pin', env('PIN'));
  await guest.click('#join-guest');
  await until('the right PIN admits', async () => {
    const s = await videoStats(guest);
    return s && s.framesDecoded > 0;
  });
  await guest.click('#hangup');

  // A private conference does not show itself to a guest, and refuses a guest's WebSocket.
  const hidden = await guest.goto(`${BASE}/c/${env('PRIVATE')}`);
  result.private_status = hidden.status();
  result.private_text = await guest.locator('main').innerText();
  result.private_ws = await guest.evaluate((conf) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/c/${conf}/ws`);
    ws.onopen = () => resolve('open');
    ws.onclose = (e) => resolve(`closed ${e.code}`);
  }), env('PRIVATE'));

  // Hanging up leaves the conference.
  await page.click('#hangup');
  await until('the browser participant is gone', async () => {
    const l = await (await owner.request.get(`${BASE}/api/v1/conferences/${conf}/live`)).json();
    return !l.participants.some((p) => p.kind === 'webrtc');
  });
  result.left = true;
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
