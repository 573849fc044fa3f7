// Exports, in headless Chromium against the real bridge and stack: the tail's kept rows as JSON
// lines and CSV (checked record by record against `kafka-demo consume`, a decoder other than
// the page's), the batch aggregates as CSV, and charts as SVG and PNG. The inspector's readable
// fields are checked on the way.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { kafkaDemo, playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();
const COUNT = 400;

/** Clicks `testId` and returns the downloaded file's name and bytes. */
async function download(page, testId) {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.getByTestId(testId).click(),
  ]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

/** Clicks the `label` button inside the element `selector` finds and returns the download. */
async function downloadIn(page, selector, label) {
  const [file] = await Promise.all([
    page.waitForEvent('download', { timeout: 30_000 }),
    page.locator(selector).getByRole('button', { name: label, exact: true }).click(),
  ]);
  return { name: file.suggestedFilename(), bytes: readFileSync(await file.path()) };
}

test('the tail, the batch report and the charts download as files', async () => {
  const shots = screenshots('export');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 }, acceptDownloads: true });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  const topic = unique('e2e-export');
  await ui.produce({ topic, count: COUNT, poison: 2, seed: 11 });
  const summary = await ui.waitProduced(COUNT);
  const pills = Number(summary.match(/(\d+) poison pills/)[1]);
  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(COUNT);

  // The inspector reads the timestamp as ISO-8601 with the stored number beside it.
  await ui.inspectFirst('decoded');
  const stamp = page.locator('[data-testid="inspector-readable"] tr[data-field="timestamp"]');
  const readable = await stamp.locator('td.value').innerText();
  const stored = Number((await stamp.locator('td.stored').innerText()).replace('stored ', ''));
  assert.equal(new Date(stored).toISOString(), readable);

  // JSON lines: every record, each equal to what `kafka-demo consume` decodes at its place.
  const jsonl = await download(page, 'consume-export-jsonl');
  assert.equal(jsonl.name, `${topic}.jsonl`);
  const lines = jsonl.bytes.toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, COUNT);
  assert.equal(lines.filter((l) => l.poison).length, pills);
  const cli = kafkaDemo(['consume', '--topic', topic, '--from-beginning', '--max', String(COUNT),
    '--timeout', '30s', '--format', 'jsonl'])
    .trim().split('\n').map((l) => JSON.parse(l));
  const byPlace = new Map(cli.map((r) => [`${r.partition}/${r.offset}`, r]));
  let compared = 0;
  for (const line of lines.filter((l) => !l.poison)) {
    const other = byPlace.get(`${line.partition}/${line.offset}`);
    assert.ok(other, `consume did not decode ${line.partition}/${line.offset}`);
    assert.equal(line.schema_id, other.schema_id);
    assert.deepEqual(line.value, other.value);
    compared += 1;
  }
  assert.equal(compared, COUNT - pills);

  // CSV of the poison pills only: a header, one line each, the value in hex.
  await ui.poisonOnly(true);
  const csv = await download(page, 'consume-export-csv');
  const rows = csv.bytes.toString('utf8').split('\r\n').filter((l) => l.length > 0);
  assert.equal(rows.length, pills + 1);
  assert.match(rows[0], /^partition,offset,timestamp,key,schema_id,.*,poison,hex$/);
  for (const row of rows.slice(1)) {
    assert.match(row, /,[0-9a-f]*$/, row);
  }
  await ui.poisonOnly(false);
  await ui.inspectFirst('decoded');
  await shots.section(page, 'section-consume', 'step-3-consume');

  // The batch report's aggregates: the minutes add up to the clicks the report counts.
  const report = await ui.runBatch(topic, { top: 5 });
  const batch = await download(page, 'batch-export-csv');
  const minutes = batch.bytes.toString('utf8').split('\r\n').filter((l) => l.startsWith('minute,'));
  const clicks = minutes.map((l) => Number(l.split(',')[2])).reduce((a, b) => a + b, 0);
  assert.equal(clicks, report.clicks);
  assert.equal(minutes.length, report.chartMinutes);

  // The minute chart as SVG (one bar per minute) and as PNG.
  const svg = await downloadIn(page, '[data-testid="batch-report"] h3', 'SVG');
  const text = svg.bytes.toString('utf8');
  assert.match(text, /^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  assert.equal((text.match(/<rect /g) ?? []).length, report.chartMinutes);
  const png = await downloadIn(page, '[data-testid="batch-report"] h3', 'PNG');
  assert.equal(png.name.endsWith('.png'), true);
  assert.deepEqual([...png.bytes.subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47]);
  await shots.shot(page, 'exported');
  await shots.section(page, 'section-batch', 'step-4-batch');
  await page.close();
});
