// What the browser scenarios share: reading their environment, checks, waiting for a
// condition, measuring the conference's sound over RTSP, and launching Debian's Chromium headless
// (with a fake camera when given one).
import { spawnSync } from 'node:child_process';
import { chromium } from 'playwright-core';

export const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
export const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/// The mean volume (dB) of the conference's RTSP sound over `seconds`, measured after the first
/// second of the stream: what the server had queued before the request (the jitter buffers,
/// the encoder, RTSP's own) is not counted, so a change just made is what is measured, however
/// busy the machine is.
export function volumeDb(seconds) {
  const r = spawnSync('ffmpeg', ['-v', 'info', '-rtsp_transport', 'tcp', '-i', env('RTSP'), '-vn', '-t', String(seconds + 1),
    '-af', 'atrim=start=1,volumedetect', '-f', 'null', '-'], { encoding: 'utf8' });
  const m = /mean_volume:\s*(-?[\d.]+) dB/.exec(r.stderr || '');
  if (!m) throw new Error('no mean_volume: ' + r.stderr);
  return parseFloat(m[1]);
}

// Polls `f` until it returns something truthy (which it returns), or fails after `ms`.
export async function until(what, f, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    last = await f();
    if (last) return last;
    await sleep(200);
  }
  throw new Error(`not within ${ms} ms: ${what} (last: ${JSON.stringify(last)})`);
}

// Measures with `measure` until `good(value)` holds, and returns that value; after `ms` fails
// saying what was measured last, so a red run shows the figure it missed.
export async function untilMeasured(what, measure, good, ms = 20000) {
  const end = Date.now() + ms;
  let last;
  for (;;) {
    last = await measure();
    if (good(last)) return last;
    if (Date.now() >= end) throw new Error(`not within ${ms} ms: ${what} (last measured: ${JSON.stringify(last)})`);
    await sleep(200);
  }
}

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Headless Chromium; with `camera` (a .y4m file) it has fake media devices that need no prompt;
// `extra`: more command-line switches.
export function launch(camera, extra = []) {
  const media = camera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection', `--use-file-for-fake-video-capture=${camera}`] : [];
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true,
    args: [...ARGS, ...media, ...extra] });
}

// A new browser context signed in through the API (its cookies shared with its pages), and a
// page in it that reports its script errors.
export async function signedIn(browser, base, login, password, options = {}) {
  const ctx = await browser.newContext(options);
  const r = await ctx.request.post(base + '/api/v1/session', { data: { login, password } });
  check(r.ok(), `${login} signs in: ${r.status()}`);
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

// The administrator's API session in a context of its own: `live(conf, data)` posts a live
// action (with the CSRF token) and returns the response.
export async function adminApi(browser, base) {
  const ctx = await browser.newContext();
  const login = await ctx.request.post(base + '/api/v1/session', { data: { login: 'admin', password: 'admin-password' } });
  check(login.ok(), 'the administrator signs in: ' + login.status());
  const csrf = (await login.json()).csrf_token;
  const live = (conf, data) => ctx.request.post(`${base}/api/v1/conferences/${conf}/live`, { data, headers: { 'X-CSRF-Token': csrf } });
  return { request: ctx.request, live };
}

// Runs a scenario that fills `result`, then prints it as the one JSON line the Rust test reads
// (`ok`, and `error` when a step failed), closing the browser whatever happened.
export async function scenario(browser, body) {
  const result = {};
  try {
    await body(result);
    result.ok = true;
  } catch (e) {
    result.ok = false;
    result.error = String(e && e.stack || e);
  } finally {
    await browser.close();
  }
  console.log(JSON.stringify(result));
}
