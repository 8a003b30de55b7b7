// The personal area in headless Chromium: sign in through the guest page, see today's
// conferences and rooms, switch to Russian, take an avatar with the fake webcam, and get
// locked out through the sign-in form. Env: BASE, LOGIN, PASSWORD, TODAY, ROOM, VICTIM,
// ATTEMPTS, OUT (a directory for screenshots).
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const env = (k) => { const v = process.env[k]; if (!v) throw new Error(`missing env ${k}`); return v; };
const BASE = env('BASE'), OUT = env('OUT');
const check = (cond, msg) => { if (!cond) throw new Error('check failed: ' + msg); };

const profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tessera-chromium-'));
const ctx = await chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  locale: 'en-US',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream',
    '--use-fake-ui-for-media-stream'],
});
const result = {};
try {
  const page = await ctx.newPage();
  page.setDefaultTimeout(15000);

  // Guest page: Sign in at the upper right.
  await page.goto(BASE + '/');
  const signIn = page.locator('header.top #sign-in');
  const box = await signIn.boundingBox();
  const vw = page.viewportSize().width;
  check(box && box.x > vw / 2 && box.y < 80, `Sign in is at the upper right (${JSON.stringify(box)})`);
  await signIn.click();
  await page.fill('#login', env('LOGIN'));
  await page.fill('#password', env('PASSWORD'));
  await Promise.all([page.waitForURL(BASE + '/home'), page.click('#submit')]);

  // Home: today's conferences, rooms, rights, license.
  const today = await page.locator('#today').innerText();
  check(today.includes(env('TODAY')), `today's list shows ${env('TODAY')}: ${today}`);
  check(!today.includes('Foreign'), 'no foreign conference on the home page');
  const rooms = await page.locator('#rooms li').count();
  check(rooms >= 1 && rooms <= 5, `1-5 rooms shown, got ${rooms}`);
  check((await page.locator('#rooms').innerText()).includes(env('ROOM')), 'room listed');
  check(await page.locator('#rights li.right').count() === 9, 'nine rights listed');
  check(await page.locator('#rights li.right.granted').count() >= 1, 'a granted right is marked');
  const license = await page.locator('#license').innerText();
  check(/Temporary PRO license/.test(license), `license info shown: ${license}`);
  check(await page.locator('#renew').count() === 1, 'Renew for 24 hours offered');
  const note = await page.locator('#license-notification').boundingBox();
  check(note && note.y + note.height >= page.viewportSize().height - 2, `license notification at the bottom: ${JSON.stringify(note)}`);
  await page.screenshot({ path: path.join(OUT, 'home-en.png'), fullPage: true });
  await Promise.all([page.waitForURL(/renewed=1/), page.click('#renew')]);
  check((await page.locator('.notice.ok').innerText()).includes('renewed'), 'renewal confirmed');
  // A conference of the main page opens its card with the control buttons.
  await Promise.all([page.waitForURL(/selected=/), page.locator('#today a.name', { hasText: env('TODAY') }).click()]);
  check((await page.locator('#conference-card h2').innerText()).includes(env('TODAY')), 'the card of the conference clicked');
  check(await page.locator('#conference-card #open-page').count() === 1, 'the card has its buttons');
  await page.goto(BASE + '/home');

  // Avatar from the fake webcam.
  await page.goto(BASE + '/profile');
  await page.click('#make-photo');
  await page.waitForFunction(() => { const v = document.getElementById('camera-video'); return v && v.videoWidth > 0; });
  await page.click('#take-photo');
  await page.waitForSelector('#avatar-status.ok');
  const avatar = await page.evaluate(async () => {
    const r = await fetch('/api/v1/me/avatar');
    return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength };
  });
  check(avatar.status === 200 && avatar.type === 'image/jpeg' && avatar.size > 1000, `avatar stored: ${JSON.stringify(avatar)}`);
  result.avatar = avatar;

  // Switch the interface to Russian on the "Other settings" tab.
  await page.selectOption('#language', 'ru');
  await Promise.all([page.waitForURL(/saved=1/), page.click('#save')]);
  const h1 = await page.locator('h1').innerText();
  check(h1 === 'Настройки профиля', `profile title translated: ${h1}`);
  await page.goto(BASE + '/home');
  const rightsTitle = await page.locator('#rights h2').innerText();
  check(rightsTitle === 'Ваши права', `home translated: ${rightsTitle}`);
  check((await page.locator('#today h2').innerText()) === 'Конференции сегодня', 'today translated');
  await page.screenshot({ path: path.join(OUT, 'home-ru.png'), fullPage: true });

  // Sign out.
  await Promise.all([page.waitForURL(BASE + '/'), page.click('#sign-out')]);
  const r = await page.goto(BASE + '/home');
  check(page.url().startsWith(BASE + '/login'), 'signed out: /home asks to sign in');

  // Lockout through the form.
  const attempts = Number(env('ATTEMPTS'));
  let last = null;
  for (let i = 0; i < attempts; i++) {
    await page.goto(BASE + '/login');
    await page.fill('#login', env('VICTIM'));
    await page.fill('#password', 'definitely-wrong');
    const [resp] = await Promise.all([page.waitForResponse(r => r.url().endsWith('/login') && r.request().method() === 'POST'), page.click('#submit')]);
    last = resp.status();
    if (i < attempts - 1) check(last === 401, `attempt ${i + 1} answered 401, got ${last}`);
  }
  check(last === 423, `locked after ${attempts} attempts, got ${last}`);
  const msg = await page.locator('.notice.error').innerText();
  check(/locked/.test(msg) && /administrator/.test(msg), `lockout message tells to ask the administrator: ${msg}`);
  result.locked = true;
  await page.screenshot({ path: path.join(OUT, 'locked.png') });
} finally {
  await ctx.close();
  fs.rmSync(profileDir, { recursive: true, force: true });
}
console.log(JSON.stringify(result));
