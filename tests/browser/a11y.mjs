// Accessibility and narrow screens: axe-core (through @axe-core/playwright) on every page, each
// opened by one role that can see it, at the WIDTHS given (360 and 1366 px); a page fails on any
// serious or critical violation of WCAG 2.1 A/AA, and at 360 px on anything wider than the
// screen. With ENGLISH (a JSON list of the English catalogue's messages), each page's text and
// labels are searched for them: a page in another language must show none. Env: BASE, WIDTHS,
// PAGES (JSON: [{who, path}], who = "guest" or a login whose password is LOGIN-password), LOCALE
// (the guests' browser language), ENGLISH. Prints one JSON line: `violations`, `overflow` and
// `english` lists.
import { AxeBuilder } from '@axe-core/playwright';
import { env, launch, scenario, signedIn } from './lib.mjs';

const BASE = env('BASE');
const PAGES = JSON.parse(env('PAGES'));
const WIDTHS = env('WIDTHS').split(',').map(Number);
const LOCALE = process.env.LOCALE || 'en-US';
const ENGLISH = JSON.parse(process.env.ENGLISH || '[]');
const PROPER = ['GNU Affero General Public License', 'Google Calendar', 'Outlook'];
// A message is found as a whole: not inside a longer word.
const patterns = ENGLISH.map((m) => [m, new RegExp(`(?<![A-Za-z])${m.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z])`)]);
const browser = await launch();

await scenario(browser, async (result) => {
  result.violations = [];
  result.overflow = [];
  result.english = [];
  result.checked = 0;
  const pages = {};
  const pageOf = async (who) => {
    if (!pages[who]) {
      if (who === 'guest') {
        const ctx = await browser.newContext({ locale: LOCALE });
        pages[who] = await ctx.newPage();
        pages[who].setDefaultTimeout(30000);
      } else {
        pages[who] = await signedIn(browser, BASE, who, who + '-password');
      }
    }
    return pages[who];
  };
  for (const width of WIDTHS) {
    for (const { who, path } of PAGES) {
      const page = await pageOf(who);
      await page.setViewportSize({ width, height: 800 });
      const r = await page.goto(BASE + path);
      if (!r || r.status() >= 400) throw new Error(`${who} ${path}: HTTP ${r && r.status()}`);
      await page.waitForLoadState('networkidle').catch(() => {});
      const axe = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
      for (const v of axe.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
        result.violations.push({ path, who, width, id: v.id, impact: v.impact,
          nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\n').slice(1, 2).join('')) });
      }
      if (patterns.length && width === WIDTHS[0]) {
        // What a user reads or hears: the visible text, and the labels of controls.
        // Identifiers (shown as code, or marked translate="no": time zone names, the widget's
        // HTML), records kept in the language they were written in (marked lang="en"), and
        // proper names are not messages.
        const text = await page.evaluate((proper) => {
          const body = document.body.cloneNode(true);
          body.querySelectorAll('script, style, code, kbd, samp, pre, [lang="en"], [translate="no"]').forEach((e) => e.remove());
          let shown = body.textContent;
          for (const p of proper) shown = shown.split(p).join(' ');
          const parts = [shown, document.title];
          for (const e of body.querySelectorAll('[placeholder], [aria-label], [title], [alt], option, input[type=submit][value]')) {
            for (const a of ['placeholder', 'aria-label', 'title', 'alt']) if (e.getAttribute(a)) parts.push(e.getAttribute(a));
            if (e.tagName === 'OPTION') parts.push(e.textContent);
            if (e.type === 'submit') parts.push(e.value);
          }
          return parts.join('\n');
        }, PROPER);
        // Each with where it was found, for whoever reads a failure.
        const found = patterns.filter(([, re]) => re.test(text)).map(([m, re]) => {
          const at = text.search(re);
          return `${m} in "…${text.slice(Math.max(0, at - 40), at + m.length + 40).replace(/\s+/g, ' ')}…"`;
        });
        if (found.length) result.english.push({ path, who, found });
      }
      if (width === 360) {
        // What sticks out of the screen: the page as a whole, and each element wider than it.
        const wide = await page.evaluate(() => {
          const w = document.documentElement.clientWidth;
          const out = [];
          if (document.documentElement.scrollWidth > w + 1) out.push(`page ${document.documentElement.scrollWidth}px`);
          for (const e of document.querySelectorAll('body *')) {
            const b = e.getBoundingClientRect();
            if (b.width > 0 && b.right > w + 1 && getComputedStyle(e).position !== 'fixed' && !e.closest('details:not([open])')) {
              let scroller = e.parentElement;
              while (scroller && getComputedStyle(scroller).overflowX === 'visible') scroller = scroller.parentElement;
              if (scroller && scroller !== document.body && scroller !== document.documentElement) continue;
              out.push(`${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ').join('.') : ''} ${Math.round(b.right)}px`);
              if (out.length > 5) break;
            }
          }
          return out;
        });
        if (wide.length) result.overflow.push({ path, who, wide });
      }
      // The other tabs of a tabbed page (the scheduling form), at one width.
      if (width === 1366) {
        const tabs = page.locator('[role=tab]:visible');
        for (let t = 1; t < await tabs.count(); t++) {
          const name = (await tabs.nth(t).innerText()).trim();
          await tabs.nth(t).click();
          const more = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
          for (const v of more.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')) {
            result.violations.push({ path: `${path} (tab ${name})`, who, width, id: v.id, impact: v.impact,
              nodes: v.nodes.slice(0, 4).map((n) => n.target.join(' ') + ' :: ' + (n.failureSummary || '').split('\n').slice(1, 2).join('')) });
          }
        }
      }
      result.checked += 1;
    }
  }
});
