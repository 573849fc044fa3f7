// The bridge killed (SIGKILL) mid-produce and mid-tail, then started again on the same port: the
// page finds it by itself and says it restarted, the cut-off produce run shows as ended and a new
// one starts, and the tail resumes by itself — once the topic is read to its end, the page holds
// exactly the topic's records, none twice.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ensureStack, kafkaDemo, launchBrowser, screenshots, startBridge, testPort, unique,
} from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const id = (testId) => `[data-testid="${testId}"]`;
const WAIT = { timeout: 30_000 };
// A port of this run's test range, so the second bridge can take the first one's place.
const PORT = testPort(57);

let browser = null;
let bridges = [];

before(async () => {
  ensureStack();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  for (const bridge of bridges) await bridge.stop();
});

/** The text of `testId`, trimmed ('' when absent). */
async function text(page, testId) {
  return ((await page.locator(id(testId)).first().textContent({ timeout: 1_000 }).catch(() => '')) ?? '').trim();
}

/** Waits until the element `testId` has attribute `name` equal to `value`. */
function waitAttribute(page, testId, name, value, options = WAIT) {
  return page.waitForSelector(`${id(testId)}[${name}="${value}"]`, options);
}

/** Waits until `testId`'s text is `value`. */
function waitText(page, testId, value, options = WAIT) {
  return page.waitForFunction(([sel, v]) => document.querySelector(sel)?.textContent.trim() === v, [id(testId), value], options);
}

/** Waits until `testId`'s number is at least `n`. */
function waitAtLeast(page, testId, n, options = WAIT) {
  return page.waitForFunction(([sel, m]) => Number(document.querySelector(sel)?.textContent.trim().replace(/,/g, '')) >= m, [id(testId), n], options);
}

test('a bridge killed mid-produce and mid-tail: the page reconnects, the run ends, the tail resumes without duplicates', async () => {
  const shots = screenshots('restart');
  bridges.push(await startBridge({ port: PORT }));
  const page = await browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const ui = new Playground(page);
  await ui.open(bridges[0].url);
  await ui.waitServicesUp();
  const topic = unique('e2e-restart');

  // A slow, long run and a tail from the beginning, both running when the bridge dies.
  await ui.produce({ topic, count: 1_000_000, rate: 200, poison: 0 });
  await waitAttribute(page, 'produce-run', 'data-state', 'running');
  await waitAtLeast(page, 'produce-acked', 200);
  await ui.startTail(topic, 'beginning');
  await waitAtLeast(page, 'consume-received', 100);
  // Everything the connection indicator says from now on (its notice lasts a few seconds).
  await page.evaluate((sel) => {
    const el = document.querySelector(sel);
    window.connectionSaid = [el.textContent.trim()];
    new MutationObserver(() => window.connectionSaid.push(el.textContent.trim()))
      .observe(el, { childList: true, characterData: true, subtree: true });
  }, id('connection'));
  const sessionBefore = await page.getAttribute(id('connection'), 'data-session');
  await shots.shot(page, 'running');

  await bridges[0].kill();
  bridges = [];
  await ui.waitReconnecting();
  await waitAttribute(page, 'produce-run', 'data-state', 'cut-off');
  assert.match(await text(page, 'produce-cut-off'), /^Cut off: the bridge went away; \d+ acknowledged before/);
  await waitText(page, 'consume-state', 'resuming');
  assert.match(await text(page, 'consume-notice'), /cut off: the bridge went away/);
  await shots.shot(page, 'bridge-gone');

  bridges.push(await startBridge({ port: PORT }));
  // The page finds the new bridge by itself, in a new session, and says it restarted.
  await page.waitForFunction(([sel, before]) => {
    const el = document.querySelector(sel);
    return el?.dataset.state === 'open' && el.dataset.session !== '' && el.dataset.session !== before;
  }, [id('connection'), sessionBefore], WAIT);
  await page.waitForFunction(() => window.connectionSaid.some((t) => /^reconnected: the bridge restarted/.test(t)), null, WAIT);

  // The cut-off run stays ended, says what was acknowledged, and a new run can start.
  await waitAttribute(page, 'produce-run', 'data-state', 'cut-off');
  const cutOff = await text(page, 'produce-cut-off');
  assert.match(cutOff, /^Cut off by a bridge restart: \d+ acknowledged before/);
  assert.ok(Number(cutOff.match(/(\d+) acknowledged/)[1]) >= 200, cutOff);
  assert.equal(await page.isDisabled(id('produce-stop')), true, 'nothing is running to stop');
  await page.waitForFunction((sel) => !document.querySelector(sel)?.disabled, id('produce-start'), WAIT);

  // The tail resumed by itself on the same topic.
  await waitText(page, 'consume-state', 'live');
  await page.waitForFunction((sel) => /resumed from the beginning/.test(document.querySelector(sel)?.textContent ?? ''), id('consume-notice'), WAIT);
  await shots.shot(page, 'reconnected');

  // 300 records may be sent before a frame is drawn with the run 'running': only its end is awaited.
  await ui.produce({ topic, count: 300, poison: 0, seed: 7 });
  assert.match(await ui.waitProduced(300), /300 clicks, 0 duplicates, 0 poison pills; 0 not delivered/);
  await waitAttribute(page, 'produce-run', 'data-state', 'finished');

  // Nothing writes to the topic any more: read it independently, then let the page catch up.
  const lines = kafkaDemo(['consume', '--topic', topic, '--from-beginning', '--timeout', '10s', '--format', 'jsonl'])
    .split('\n').filter((l) => l.trim() !== '');
  const total = lines.length;
  assert.ok(total >= 500, `the topic holds ${total} records`);
  await page.waitForFunction(([received, waiting, partitions, n]) => {
    const rows = [...document.querySelectorAll(`${partitions} tbody tr`)];
    return Number(document.querySelector(received)?.textContent.replace(/,/g, '')) >= n
      && Number(document.querySelector(waiting)?.textContent.replace(/,/g, '')) === 0
      && rows.length === 3 && rows.every((r) => r.dataset.lag === '0');
  }, [id('consume-received'), id('consume-waiting'), id('consume-partitions'), total], { timeout: 120_000 });
  const counts = await ui.tailCounts();
  assert.equal(counts.received, total, 'the page holds every record of the topic, none twice');
  assert.equal(counts.decoded, total);
  const ends = await page.$$eval(`${id('consume-partitions')} tbody tr td:nth-child(3)`, (cells) => cells.map((c) => Number(c.textContent.replace(/,/g, ''))));
  assert.equal(ends.reduce((a, b) => a + b, 0), total, 'the partitions end where the topic does');
  assert.ok(await ui.number('consume-skipped') > 0, 'the resumed tail read the topic again and skipped what the page held');
  await shots.shot(page, 'caught-up');
  await page.click(id('consume-stop'));
  await page.close();
});
