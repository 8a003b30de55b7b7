// A browser on a restricted network joins a public room as a guest. With RELAY=1 it may only
// use a TURN relay (iceTransportPolicy "relay", as behind a firewall that lets nothing else
// out), the one the server names on the conference page; otherwise the test's namespace drops
// UDP to the server's media ports and it must find the TCP candidate. Env: BASE, CONF (a public
// room, which the administrator starts with a synthetic participant), Y4M (the fake camera),
// RELAY (optional), WATCH (optional: seconds to watch the picture after joining, on a lossy
// network).
// Prints one JSON line: the ICE servers the page was given, the selected candidate pair's
// local candidate type and protocol, frames decoded; with WATCH, the frames decoded while
// watching, the longest time without a new decoded frame, and the inbound video's losses,
// NACKs sent and retransmissions received.
import { adminApi, check, env, launch, scenario, until } from './lib.mjs';

const BASE = env('BASE');
const browser = await launch(env('Y4M'));
await scenario(browser, async (result) => {
  const admin = await adminApi(browser, BASE);
  const started = await admin.live(env('CONF'), { action: 'add_synthetic', name: 'Red square', colour: [220, 30, 30], tone_hz: 0 });
  check(started.ok(), 'the room starts: ' + started.status());

  const ctx = await browser.newContext();
  // Every peer connection the page makes is recorded, and with RELAY may use relayed
  // candidates only.
  await ctx.addInitScript((relay) => {
    const Native = window.RTCPeerConnection;
    window.RTCPeerConnection = function (config) {
      window.__rtcConfig = config;
      return new Native(relay ? { ...(config || {}), iceTransportPolicy: 'relay' } : config);
    };
    window.RTCPeerConnection.prototype = Native.prototype;
  }, process.env.RELAY === '1');
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE}/c/${env('CONF')}`);
  await page.fill('#guest-name', 'Relayed Rita');
  await page.click('#join-guest');
  const stats = await until('the relayed guest decodes frames', async () => {
    const s = await page.evaluate(async () => {
      const pc = window.tessera && window.tessera.pc;
      if (!pc) return null;
      const out = { framesDecoded: 0, localType: null, remoteType: null, protocol: null, remoteAddress: null };
      const stats = await pc.getStats();
      stats.forEach((s) => {
        if (s.type === 'inbound-rtp' && s.kind === 'video') out.framesDecoded = s.framesDecoded || 0;
        if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') {
          const l = stats.get(s.localCandidateId), r = stats.get(s.remoteCandidateId);
          out.localType = l && l.candidateType;
          out.remoteType = r && r.candidateType;
          out.protocol = r && r.protocol;
          out.remoteAddress = r && (r.address || r.ip);
        }
      });
      return out;
    });
    return s && s.framesDecoded >= 15 && s.localType ? s : null;
  }, 40000);
  Object.assign(result, stats);
  result.iceServers = await page.evaluate(() => window.__rtcConfig && window.__rtcConfig.iceServers);
  const watch = Number(process.env.WATCH || 0);
  if (watch > 0) {
    // Sampled every 50 ms in the page: the longest stretch without a new decoded frame.
    result.watch = await page.evaluate(async (seconds) => {
      const pc = window.tessera.pc;
      const inbound = async () => {
        let v = null;
        (await pc.getStats()).forEach((s) => { if (s.type === 'inbound-rtp' && s.kind === 'video') v = s; });
        return v;
      };
      const first = await inbound();
      let last = first.framesDecoded, lastAt = performance.now(), longestGapMs = 0;
      const end = performance.now() + seconds * 1000;
      while (performance.now() < end) {
        await new Promise((r) => setTimeout(r, 50));
        const s = await inbound();
        const now = performance.now();
        if (s.framesDecoded > last) { last = s.framesDecoded; lastAt = now; }
        longestGapMs = Math.max(longestGapMs, now - lastAt);
      }
      const s = await inbound();
      return {
        framesDecoded: s.framesDecoded - first.framesDecoded,
        longestGapMs: Math.round(longestGapMs),
        packetsLost: s.packetsLost,
        nackCount: s.nackCount,
        retransmittedPacketsReceived: s.retransmittedPacketsReceived || 0,
      };
    }, watch);
  }
});
