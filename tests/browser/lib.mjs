// What the browser scenarios share: reading their environment, checks, waiting for a
// condition, and launching Debian's Chromium headless (with a fake camera when given one).
import { chromium } from 'playwright-core';

export const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
export const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync'];

// Headless Chromium; with `camera` (a .y4m file) it has fake media devices that need no prompt.
export function launch(camera) {
  const media = camera ? ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
    '--allow-loopback-in-peer-connection', `--use-file-for-fake-video-capture=${camera}`] : [];
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: [...ARGS, ...media] });
}
