// Step 4 by clicking, in headless Chromium against the real bridge and stack: produce clicks with
// poison pills from the page, run the Spark batch job from the page, and see the chart and the
// top-N table drawn with the totals that were produced.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

test('the batch job runs from the page and draws the right totals', async () => {
  const shots = screenshots('batch');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  const topic = unique('e2e-batch');

  await ui.produce({ topic, count: 3000, poison: 2, seed: 9 });
  const summary = await ui.waitProduced(3000);
  const [, clicks, duplicates, pills] = summary.match(/(\d+) clicks, (\d+) duplicates, (\d+) poison pills/).map(Number);

  const report = await ui.runBatch(topic, { top: 5 });
  await shots.shot(page, 'batch-report');
  assert.equal(report.recordsRead, 3000);
  assert.equal(report.clicks, clicks + duplicates, 'every decoded record is counted');
  assert.equal(report.poison, pills, 'every poison pill is found');
  assert.equal(report.pillRows, pills, 'and listed by position');
  assert.equal(report.chartTotal, report.clicks, 'the minutes chart sums to the total');
  assert.equal(report.bars, report.chartMinutes);
  assert.ok(report.chartMinutes > 0);
  assert.equal(report.tops.length, 5);
  for (let i = 1; i < report.tops.length; i += 1) {
    assert.ok(report.tops[i - 1].clicks >= report.tops[i].clicks, 'top creatives come in order');
  }
  assert.ok(report.stages.some((s) => /decoding/.test(s)), report.stages.join(' | '));
  await page.close();
});
