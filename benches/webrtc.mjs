// WebRTC in the browser, measured in headless Chromium inside the benchmark's network namespace
// (see webrtc.sh). Env: BASE (Tessera with its public demo room), METRICS (its /metrics URL),
// TESSERA_PID, NS, RUNS, PEERS, SECONDS, PLAYWRIGHT (the path of playwright-core).
//
// 1. Join time: from the click on Join as guest to the first decoded frame of the room's
//    picture (getStats framesDecoded, polled every 10 ms), median of RUNS joins. Reference: the
//    same work between two peer connections in one page (camera → ICE, DTLS → first decoded
//    frame), also without trickle, in the same browser, alternating with Tessera's runs.
// 2. CPU per browser participant: PEERS guests in the demo room; Tessera's CPU over SECONDS
//    minus its CPU without them, per guest, once every guest has reached the full quality tier.
//    Reference: Chromium's CPU for the same calls (every
//    process in the namespace but Tessera and this script), per guest: each side encodes and
//    decodes one picture and one sound per participant.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

const env = (k, d) => process.env[k] || d;
import { launch } from './lib/chromium.mjs';
const BASE = env('BASE');
const RUNS = Number(env('RUNS', '10'));
const PEERS = Number(env('PEERS', '4'));
const SECONDS = Number(env('SECONDS', '8'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TICK = 100; // USER_HZ

function cpuTicks(pid) {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch { return 0; }
}

function browserPids() {
  const all = execFileSync('ip', ['netns', 'pids', env('NS')], { encoding: 'utf8' }).split(/\s+/).filter(Boolean).map(Number);
  return all.filter((p) => p !== Number(env('TESSERA_PID')) && p !== process.pid);
}

/// Cores used over `SECONDS` by Tessera and by the browser.
async function measure() {
  const pids = browserPids();
  const t0 = cpuTicks(env('TESSERA_PID'));
  const b0 = pids.map(cpuTicks);
  const start = Date.now();
  await sleep(SECONDS * 1000);
  const wall = (Date.now() - start) / 1000;
  const t1 = cpuTicks(env('TESSERA_PID'));
  const b1 = pids.map(cpuTicks);
  const browser = b1.reduce((s, v, i) => s + Math.max(0, v - b0[i]), 0);
  return { tessera: (t1 - t0) / TICK / wall, browser: browser / TICK / wall };
}

const browser = await launch();

// Frames decoded by Tessera's page (`tessera`) or by the reference's receiving connection.
async function decoded(page, which) {
  return page.evaluate(async (which) => {
    const pc = which === 'tessera' ? window.tessera && window.tessera.pc : window.ref && window.ref.b;
    if (!pc) return 0;
    let n = 0;
    (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') n = s.framesDecoded || 0; });
    return n;
  }, which);
}

async function tesseraJoin(page) {
  await page.goto(`${BASE}/c/demo`);
  await page.fill('#guest-name', 'Bench');
  const t0 = Date.now();
  await page.click('#join-guest');
  while (Date.now() - t0 < 20000) {
    if (await decoded(page, 'tessera') > 0) break;
    await sleep(10);
  }
  const ms = Date.now() - t0;
  await page.click('#hangup');
  return ms;
}

async function referenceJoin(page) {
  await page.goto(`${BASE}/healthz`);
  const t0 = Date.now();
  await page.evaluate(async () => {
    const gathered = (pc) => new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
      setTimeout(resolve, 3000);
    });
    const local = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 360 } });
    const a = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    const b = new RTCPeerConnection({ bundlePolicy: 'max-bundle' });
    local.getTracks().forEach((t) => a.addTransceiver(t, { direction: 'sendrecv', streams: [local] }));
    await a.setLocalDescription(await a.createOffer());
    await gathered(a);
    await b.setRemoteDescription(a.localDescription);
    await b.setLocalDescription(await b.createAnswer());
    await gathered(b);
    await a.setRemoteDescription(b.localDescription);
    window.ref = { a, b, local };
  });
  while (Date.now() - t0 < 20000) {
    if (await decoded(page, 'reference') > 0) break;
    await sleep(10);
  }
  const ms = Date.now() - t0;
  await page.evaluate(() => { window.ref.a.close(); window.ref.b.close(); window.ref.local.getTracks().forEach((t) => t.stop()); });
  return ms;
}

const median = (xs) => { const s = [...xs].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
const out = {};
try {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  page.setDefaultTimeout(20000);
  await tesseraJoin(page); // warm-up: caches, first pipelines
  await referenceJoin(page);
  const tessera = [], reference = [];
  for (let i = 0; i < RUNS; i++) {
    tessera.push(await tesseraJoin(page));
    reference.push(await referenceJoin(page));
    await sleep(300);
  }
  out.join_ms = { tessera: median(tessera), reference: median(reference), runs: { tessera, reference } };
  await ctx.close();

  const idle = await measure();
  const pages = [];
  for (let i = 0; i < PEERS; i++) {
    const c = await browser.newContext();
    const p = await c.newPage();
    p.setDefaultTimeout(20000);
    await p.goto(`${BASE}/c/demo`);
    await p.fill('#guest-name', `Bench ${i + 1}`);
    await p.click('#join-guest');
    pages.push(p);
  }
  for (const p of pages) {
    const t0 = Date.now();
    while (await decoded(p, 'tessera') < 30) {
      if (Date.now() - t0 > 30000) throw new Error('a guest decoded no frames');
      await sleep(100);
    }
  }
  // Browsers start at the half quality tier and move to the full one after a few seconds of
  // clean reports; until they all have, the room runs both tiers' encoders. Measure the steady
  // state: every guest on one tier (the metric of each browser participant), then a second for
  // the keyframe that switches its picture.
  const t1 = Date.now();
  for (;;) {
    const text = await (await fetch(env('METRICS'))).text();
    const tiers = text.split('\n').filter((l) => l.startsWith('tessera_participant_video_tier{conference="demo"'))
      .map((l) => Number(l.split(' ').pop()));
    if (tiers.length >= PEERS && tiers.every((t) => t === 1)) break;
    if (Date.now() - t1 > 30000) throw new Error(`the guests did not all reach the full tier: ${tiers}`);
    await sleep(250);
  }
  await sleep(1000);
  const busy = await measure();
  out.cpu = { idle, busy, peers: PEERS,
    tessera_per_peer: (busy.tessera - idle.tessera) / PEERS, browser_per_peer: busy.browser / PEERS };
} finally {
  await browser.close();
}
console.log(JSON.stringify(out));
