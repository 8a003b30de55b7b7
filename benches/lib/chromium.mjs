// Shared by the browser benchmarks: headless Chromium (Debian's, through playwright-core at
// PLAYWRIGHT) with a fake camera and microphone, allowed to reach loopback peers.
export async function launch() {
  const { chromium } = await import(process.env.PLAYWRIGHT);
  return chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection'],
  });
}
