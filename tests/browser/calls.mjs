// Calls between browsers: alice calls bob from the Calls page; her page opens the call's room
// and joins; bob's open page rings; he accepts and joins; both are in the room; they hang up and
// the room goes. Then bob declines a call, and alice cancels one while it rings.
// Env: BASE, CALLER/CALLER_PASSWORD, CALLEE/CALLEE_PASSWORD, Y4M. Prints one JSON line.
import { env, launch, scenario, signedIn, until } from './lib.mjs';

const BASE = env('BASE');
const browser = await launch(env('Y4M'));
const connected = (page) => until('the call connects', () =>
  page.evaluate(() => window.tessera && window.tessera.pc && window.tessera.pc.connectionState === 'connected'), 30000);
const bannerText = (page, sel) => until(`${sel} shows`, async () => {
  const b = page.locator(sel);
  return (await b.count()) ? b.first().innerText() : null;
});

async function call(alice, to) {
  await alice.goto(BASE + '/calls');
  await alice.fill('#call-to', to);
  await alice.click('#make-call button[type=submit]');
  await alice.waitForURL(/\/c\/call-[0-9a-f]+\?join=1$/);
  return new URL(alice.url()).pathname.split('/')[2];
}

await scenario(browser, async (result) => {
  const alice = await signedIn(browser, BASE, env('CALLER'), env('CALLER_PASSWORD'));
  const bob = await signedIn(browser, BASE, env('CALLEE'), env('CALLEE_PASSWORD'));
  await bob.goto(BASE + '/contacts');

  // 1. Answered in the browser.
  const conf = await call(alice, env('CALLEE'));
  await connected(alice);
  result.calling = await bannerText(alice, 'section.ring[data-state=ringing]');
  result.ringing = await bannerText(bob, 'section.ring[role=alertdialog]');
  await bob.click('section.ring button.accept');
  await bob.waitForURL(new RegExp(`/c/${conf}\\?join=1$`));
  await connected(bob);
  result.answered = await bannerText(alice, 'section.ring[data-state=answered]');
  const live = await (await alice.request.get(`${BASE}/api/v1/conferences/${conf}/live`)).json();
  result.in_room = live.participants.filter((p) => p.kind === 'webrtc').map((p) => p.name).sort();
  result.rooms_listed = (await (await alice.request.get(BASE + '/rooms')).text()).includes(conf);
  await bob.click('#hangup');
  await alice.click('#hangup');
  result.room_removed = await until('the room goes', async () =>
    (await alice.request.get(`${BASE}/c/${conf}`)).status() === 404, 30000);

  // 2. Declined.
  await bob.goto(BASE + '/calls');
  await call(alice, env('CALLEE'));
  await bannerText(bob, 'section.ring[role=alertdialog]');
  await bob.click('section.ring button.decline');
  result.declined = await bannerText(alice, 'section.ring[data-state=declined]');
  result.bob_banner_gone = await until('the ring goes', async () => (await bob.locator('section.ring').count()) === 0);
  await alice.click('#hangup');

  // 3. Cancelled by the caller while it rings: the callee's page stops ringing.
  await call(alice, env('CALLEE'));
  await bannerText(bob, 'section.ring[role=alertdialog]');
  await bannerText(alice, 'section.ring[data-state=ringing]');
  await alice.click('section.ring button.cancel');
  result.cancelled_ring_gone = await until('the ring stops', async () => (await bob.locator('section.ring').count()) === 0);
  result.cancelled = await bannerText(alice, 'section.ring[data-state=missed]');
  await alice.click('#hangup');
});
