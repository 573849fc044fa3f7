// A record of your own, in headless Chromium against the real bridge and stack: a click typed
// in Avro's JSON encoding is checked (a wrong field is named by its path), encoded in the page,
// sent with a key and a header, and seen decoded in the tail with an ISO timestamp and 0.72;
// copies and a poison pill made on purpose follow. `kafka-demo consume` reads the topic too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaDemo, playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

const record = (cost) => JSON.stringify({
  id: 'clk-hand-1', impression_id: 'imp-hand', creative_id: 'cr-hand', placement_id: 'pl-hand',
  timestamp: 1704067200040, user_agent: null, ip: { string: '10.0.0.1' }, referrer: null, cost,
}, null, 2);

test('a hand-written record is sent from the page and tailed decoded', async () => {
  const shots = screenshots('record');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  const topic = unique('e2e-record');
  await ui.fill('produce-topic', topic);
  await page.getByTestId('record-editor').locator('summary').click();

  // The generator fills a realistic click in Avro's JSON encoding.
  await page.getByTestId('record-fill').click();
  await page.waitForFunction(() => document.querySelector('[data-testid="record-json"]').value.includes('"timestamp"'));
  const filled = JSON.parse(await page.getByTestId('record-json').inputValue());
  assert.equal(typeof filled.cost, 'number');
  assert.ok(filled.user_agent === null || typeof filled.user_agent.string === 'string', JSON.stringify(filled.user_agent));

  // A wrong field is named by its path, and nothing is sent.
  await page.getByTestId('record-json').fill(record('abc'));
  await page.getByTestId('record-send').click();
  await page.getByTestId('record-error').waitFor();
  assert.equal(await page.getByTestId('record-error').innerText(), '$.cost: expected float, got "abc"');

  await page.getByTestId('record-json').fill(record(0.72));
  await page.getByTestId('record-key').fill('my-key');
  await page.getByTestId('record-headers').fill('source: e2e');
  await page.getByTestId('record-send').click();
  await page.getByTestId('record-result').waitFor();
  assert.match(await page.getByTestId('record-result').innerText(), /^Sent 1 record: partition \d+ offset 0\.$/);

  await page.getByTestId('record-copies').fill('3');
  await page.getByTestId('record-send').click();
  await page.waitForFunction(() => /Sent 3 records/.test(document.querySelector('[data-testid="record-result"]')?.textContent ?? ''));
  await page.getByTestId('record-copies').fill('1');
  await page.getByTestId('record-kind').selectOption('wrong_magic');
  await page.getByTestId('record-send').click();
  await page.waitForFunction(() => /Sent 1 record/.test(document.querySelector('[data-testid="record-result"]')?.textContent ?? ''));
  await shots.shot(page, 'record-sent');
  await shots.section(page, 'section-schema', 'step-1-schema');
  await shots.section(page, 'section-produce', 'step-2-produce');

  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(5);
  const counts = await ui.tailCounts();
  assert.equal(counts.decoded, 4);
  assert.equal(counts.poison, 1);
  await ui.inspectFirst('decoded');
  const cell = (field) => page.locator(`[data-testid="inspector-readable"] tr[data-field="${field}"] td.value`).innerText();
  assert.equal(await cell('timestamp'), '2024-01-01T00:00:00.040Z');
  assert.equal(await cell('cost'), '0.72');
  assert.equal(await cell('ip'), '10.0.0.1');
  await shots.shot(page, 'record-tailed');

  // Another reader: the command line's consumer decodes the same four records and the pill.
  const lines = kafkaDemo(['consume', '--topic', topic, '--from-beginning', '--max', '5', '--timeout', '30s'])
    .trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 4, 'consume prints decoded records; the pill goes to its report');
  for (const l of lines) {
    assert.equal(l.key, 'my-key');
    assert.equal(l.value.cost, 0.72);
    assert.equal(l.value.timestamp, 1704067200040);
  }
  await page.close();
});
