// A webinar's analytics in Chromium. Two invited users join from the conference page (one twice,
// one writing in the chat); then the owner opens the Analytics page and drives every tab: the
// search and the filters change the rows shown, the chart has a point per entry, a participant's
// details open, and each tab's CSV file is downloaded into DL.
// Env: BASE, CONF, OWNER/OWNER_PASSWORD, BOB/BOB_PASSWORD, EVE/EVE_PASSWORD, Y4M, DL.
// Prints one JSON line of findings; the Rust test asserts on them and parses the files.
import path from 'node:path';
import { check, env, launch, until } from './lib.mjs';

const BASE = env('BASE'), CONF = env('CONF'), DL = env('DL');
const browser = await launch(env('Y4M'));
const result = {};

async function signedIn(login, password) {
  const ctx = await browser.newContext({ acceptDownloads: true });
  const r = await ctx.request.post(BASE + '/api/v1/session', { data: { login, password } });
  check(r.ok(), `${login} signs in: ${r.status()}`);
  return ctx;
}

// Joins the webinar from its page, says `chat` if given, and hangs up.
async function joinAndLeave(ctx, chat) {
  const page = await ctx.newPage();
  page.setDefaultTimeout(30000);
  page.on('pageerror', (e) => console.error('page error:', e.message));
  await page.goto(`${BASE}/c/${CONF}`);
  await page.click('#join-browser');
  await until('the call section shows', () => page.locator('#call').isVisible(), 30000);
  if (chat) {
    await page.fill('#chat-text', chat);
    await page.click('#chat-form button');
    await until('the chat message comes back', async () => (await page.locator('#chat-log').innerText()).includes(chat));
  }
  await page.click('#hangup');
  await page.close();
}

const text = async (page, sel) => (await page.locator(sel).innerText()).trim();
const counts = async (page) => ({ shown: Number(await text(page, '#an-shown')), total: Number(await text(page, '#an-total')) });

// Sets the filter form's fields and applies it.
async function apply(page, fields) {
  for (const [sel, value] of Object.entries(fields)) {
    const tag = await page.locator(sel).evaluate((e) => e.tagName);
    if (tag === 'SELECT') await page.selectOption(sel, value);
    else await page.fill(sel, value);
  }
  await Promise.all([page.waitForURL(/analytics\?/), page.click('#an-apply')]);
}

async function download(page, name) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click('#an-csv')]);
  const file = path.join(DL, name);
  await d.saveAs(file);
  return d.suggestedFilename();
}

try {
  const bob = await signedIn(env('BOB'), env('BOB_PASSWORD'));
  await joinAndLeave(bob, null);
  await joinAndLeave(bob, null);
  const eve = await signedIn(env('EVE'), env('EVE_PASSWORD'));
  await joinAndLeave(eve, 'Привет всем, quarterly numbers');

  const owner = await signedIn(env('OWNER'), env('OWNER_PASSWORD'));
  const page = await owner.newPage();
  page.setDefaultTimeout(20000);
  // From the card.
  await page.goto(`${BASE}/meetings?view=all&selected=${CONF}`);
  await Promise.all([page.waitForURL(/analytics/), page.click('#analytics')]);
  result.title = await text(page, 'h1');
  result.tabs = await page.locator('[role=tab]').allInnerTexts();

  // Participants' entries: the totals, then each filter.
  result.entries = await counts(page);
  await apply(page, { '#an-auth': 'guests' });
  result.guests = await counts(page);
  await apply(page, { '#an-auth': 'users', '#an-status': 'joined' });
  result.users_joined = (await page.locator('#entries td.name').allInnerTexts()).sort();
  await apply(page, { '#an-auth': 'all', '#an-status': 'absent' });
  result.absent = (await counts(page)).shown;
  await apply(page, { '#an-status': 'all', '#an-q': 'борис' });
  result.search = await page.locator('#entries td.name').allInnerTexts();
  // Bob's details.
  await Promise.all([page.waitForURL(/show=user-/), page.click('#entries td.name a')]);
  result.details = await text(page, '#an-details');
  // The chart, unfiltered and for users only.
  await page.click('#an-reset');
  await page.click('#an-chart summary');
  check(await page.locator('#entries-chart').isVisible(), 'the chart shows');
  const box = await page.locator('#entries-chart').boundingBox();
  result.chart_width = Math.round(box.width);
  result.chart_points = {
    added: await page.locator('#entries-chart circle.pt.added').count(),
    joined: await page.locator('#entries-chart circle.pt.joined').count(),
  };
  result.chart_legend = await page.locator('#entries-chart .legend text').allTextContents();
  await apply(page, { '#an-auth': 'users' });
  result.chart_users_added = await page.locator('#entries-chart circle.pt.added').count();
  // An interval with nobody in it.
  await apply(page, { '#an-auth': 'all', '#an-from': '2031-01-01', '#an-to': '2031-01-31' });
  result.future = (await counts(page)).shown;
  await page.click('#an-reset');
  result.entries_file = await download(page, 'entries.csv');

  // Connection history: search by name.
  await page.click('#tab-connections');
  result.connections = await counts(page);
  await apply(page, { '#an-q': 'Борис' });
  result.bob_events = await page.locator('#connections tr.row').evaluateAll((rs) => rs.map((r) => r.dataset.kind));
  result.connections_file = await download(page, 'connections.csv');

  // Chat history: words and sender.
  await page.click('#tab-chat');
  result.chat = await counts(page);
  await apply(page, { '#an-q': 'quarterly привет' });
  result.chat_words = (await counts(page)).shown;
  await apply(page, { '#an-q': '', '#an-sender': 'nobody' });
  result.chat_nobody = (await counts(page)).shown;
  result.chat_file = await download(page, 'chat.csv');

  // A bad filter in the address: the page says which field.
  await page.goto(`${BASE}/conferences/${CONF}/analytics?tab=entries&status=maybe`);
  result.bad_filter = await text(page, '#an-error');

  result.ok = true;
} catch (e) {
  result.ok = false;
  result.error = String(e && e.stack || e);
} finally {
  await browser.close();
}
console.log(JSON.stringify(result));
