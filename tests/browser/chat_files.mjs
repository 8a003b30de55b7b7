// Files in the conference chat: the owner (with the file sharing right) sends a file from the
// conference page; the other participant (without the right) has no button, sees the file in
// the chat, downloads it, and is refused when he tries to upload anyway; what is too big or over
// the conference's quota is refused with the reason.
// Env: BASE, CONF, OWNER/OWNER_PASSWORD, USER/USER_PASSWORD, Y4M. Prints one JSON line.
import { readFileSync } from 'node:fs';
import { env, launch, scenario, signedIn, until } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF');
const browser = await launch(env('Y4M'));

async function joined(login, password) {
  const page = await signedIn(browser, BASE, login, password, { acceptDownloads: true });
  await page.goto(`${BASE}/c/${CONF}`);
  await page.click('#join-browser');
  await until(`${login}'s call shows`, () => page.locator('#call').isVisible(), 30000);
  return page;
}

// An upload from inside the page, as its own script would make it; returns status and body.
const upload = (page, key, name, bytes) => page.evaluate(async ([conf, key, name, bytes]) => {
  const r = await fetch(`/c/${conf}/files?k=${key}&name=${encodeURIComponent(name)}`,
    { method: 'POST', body: new Uint8Array(bytes) });
  return { status: r.status, body: await r.text() };
}, [CONF, key, name, bytes]);

await scenario(browser, async (result) => {
  const owner = await joined(env('OWNER'), env('OWNER_PASSWORD'));
  const user = await joined(env('USER'), env('USER_PASSWORD'));
  await until('the owner may send files', () => owner.locator('#chat-file-box').isVisible());
  result.user_has_button = await user.locator('#chat-file-box').isVisible();

  // A page that would run script if it were rendered in the server's origin.
  const html = '<!doctype html><script>document.title = "ran"</script><p>notes</p>';
  await owner.setInputFiles('#chat-file', { name: 'notes <1>.html', mimeType: 'text/html', buffer: Buffer.from(html) });
  const link = user.locator('#chat-log a.chat-file');
  await until('the file shows in the other chat', () => link.count());
  result.link_text = await link.first().innerText();
  result.entry = await user.locator('#chat-log li').last().innerText();
  const [download] = await Promise.all([user.waitForEvent('download'), link.first().click()]);
  result.download_name = download.suggestedFilename();
  result.downloaded_same = readFileSync(await download.path(), 'utf8') === html;
  const href = await link.first().getAttribute('href');
  const got = await user.request.get(BASE + href);
  result.headers = got.headers();

  // The user's own key does not let him upload without the right.
  const userKey = new URL(BASE + href).searchParams.get('k');
  result.user_upload = await upload(user, userKey, 'x.txt', [1, 2, 3]);
  // Too big for the server (1 MB here), even past the page's own check; then the quota (2 MB).
  const ownerHref = await owner.locator('#chat-log a.chat-file').first().getAttribute('href');
  const key = new URL(BASE + ownerHref).searchParams.get('k');
  const big = Array.from({ length: 1200000 }, (_, i) => i % 251);
  result.too_big = await upload(owner, key, 'big.bin', big);
  const part = big.slice(0, 900000);
  result.first = (await upload(owner, key, 'a.bin', part)).status;
  result.second = (await upload(owner, key, 'b.bin', part)).status;
  result.over_quota = await upload(owner, key, 'c.bin', part);
  result.no_name = await upload(owner, key, '', [1]);
  // A page that floods the chat with tiny files is stopped (ten a minute).
  const flood = [];
  const floodStart = Date.now();
  for (let i = 0; i < 12; i++) flood.push((await upload(owner, key, `tiny${i}.txt`, [i])).status);
  result.flood = flood;
  result.flood_ms = Date.now() - floodStart;
  // The page's own check says what is too big before sending anything.
  await owner.setInputFiles('#chat-file', { name: 'huge.bin', mimeType: 'application/octet-stream', buffer: Buffer.alloc(1100000) });
  result.page_too_big = await until('the page says it is too big', async () => {
    const t = await owner.locator('#chat-file-status').innerText();
    return t.length ? t : null;
  });
});
