// Steps 2 and 3 by clicking, in headless Chromium against the real bridge and stack: produce
// 10,000 clicks with poison pills from the page, watch them acknowledged, tail them back decoded
// in the page, and inspect a record and a poison pill on the wire.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

test('produce 10k from the page, tail them decoded, inspect a record and a poison pill', async () => {
  const shots = screenshots('produce-consume');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  const topic = unique('e2e-clicks');

  await ui.produce({ topic, count: 10_000, poison: 1 });
  const summary = await ui.waitProduced(10_000);
  assert.match(summary, /0 not delivered/);
  const pills = Number(summary.match(/(\d+) poison pills/)[1]);
  assert.ok(pills > 0, summary);
  assert.equal(await ui.number('produce-failed'), 0);
  await shots.shot(page, 'produced');
  // Then 500 clicks written with v2 (it adds `country`) into the same topic.
  await ui.produce({ topic, count: 500, poison: 0, writer: 'v2', seed: 7 });
  assert.match(await ui.waitProduced(500), /500 clicks, 0 duplicates, 0 poison pills; 0 not delivered/);
  const v2Id = (await page.textContent('[data-testid="produce-schema-id"]')).trim();

  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(10_500);
  const counts = await ui.tailCounts();
  assert.equal(counts.received, 10_500);
  assert.equal(counts.poison, pills, 'the page finds exactly the injected poison pills');
  assert.equal(counts.decoded + counts.poison, 10_500, 'v1 and v2 records all decode');
  const columns = await page.locator('[data-testid="consume-filter-field"] option').allTextContents();
  assert.ok(columns.includes('country') && columns.includes('creative_id'), columns.join(','));
  // Lag reaches zero on every partition.
  await page.waitForFunction((sel) => {
    const rows = [...document.querySelectorAll(`${sel} tbody tr`)];
    return rows.length === 3 && rows.every((r) => r.dataset.lag === '0');
  }, '[data-testid="consume-partitions"]', { timeout: 20_000 });
  assert.ok(await ui.visibleRows() > 0 && await ui.visibleRows() < 100, 'only rows in view are drawn');
  await shots.shot(page, 'tailed');

  // A v2 record, shown with its subject version and its new field.
  await ui.filter('country', '');
  const record = await ui.inspectFirst('decoded', v2Id);
  assert.match(record.schemaId, /^\d+$/);
  assert.match(record.subject, new RegExp(`${topic}-value v2`));
  assert.match(record.fields, /"country"/);
  assert.match(record.fields, /"impression_id"/);
  assert.equal(record.magic, 'magic');
  await shots.shot(page, 'inspect-record');

  await ui.filter('', '');
  await ui.poisonOnly(true);
  const pill = await ui.inspectFirst('poison');
  assert.match(pill.reason, /poison pill/);
  assert.ok(['wrong_magic', 'unknown_schema_id', 'undecodable'].includes(pill.reasonKind), pill.reasonKind);
  await shots.shot(page, 'inspect-poison');
  await ui.poisonOnly(false);

  // Filtering by a field narrows the rows to those whose field contains the text.
  await ui.filter('creative_id', 'no-such-creative');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="consume-row"]').length === 0, null, { timeout: 10_000 });
  await ui.filter('', '');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="consume-row"]').length > 0, null, { timeout: 10_000 });
  await page.click('[data-testid="consume-stop"]');
  await page.close();
});
