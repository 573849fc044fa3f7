// Schema references in the page, in headless Chromium against the real bridge and registry: a
// click schema whose `geo` field has a type registered under another subject is registered with
// a reference from the command line; records written with it are tailed and inspected decoded
// in the page, and one more is written in the page's record editor with that registered version.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kafkaDemo, playgroundSuite, root, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

const geo = { type: 'record', name: 'Geo', namespace: 'com.example.geo', fields: [
  { name: 'country', type: 'string' }, { name: 'city', type: ['null', 'string'], default: null }] };

function record(i) {
  return { id: `clk-ref-${i}`, impression_id: `imp-${i}`, creative_id: 'cr-ref', placement_id: 'pl-ref',
    timestamp: 1704067200000 + i * 1000, user_agent: null, ip: null, referrer: null, cost: 0.25,
    geo: { country: 'NL', city: { string: 'Delft' } } };
}

test('records of a schema with a reference are tailed, inspected and written in the page', async () => {
  const shots = screenshots('references');
  const dir = mkdtempSync(join(tmpdir(), 'kd-refs-'));
  const click = JSON.parse(readFileSync(join(root, 'schemas', 'click_v1.avsc'), 'utf8'));
  click.fields.push({ name: 'geo', type: 'com.example.geo.Geo' });
  writeFileSync(join(dir, 'geo.avsc'), JSON.stringify(geo));
  writeFileSync(join(dir, 'click-geo.avsc'), JSON.stringify(click));
  writeFileSync(join(dir, 'records.jsonl'), [0, 1, 2].map((i) => JSON.stringify(record(i))).join('\n'));
  const topic = unique('e2e-refs');
  const geoTopic = unique('e2e-geo');
  kafkaDemo(['schema', 'register', join(dir, 'geo.avsc'), '--topic', geoTopic]);
  const reference = `com.example.geo.Geo=${geoTopic}-value:1`;
  kafkaDemo(['produce', '--topic', topic, '--schema', join(dir, 'click-geo.avsc'), '--reference', reference,
    '--value-json', join(dir, 'records.jsonl')]);

  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();

  // The record editor encodes with the registered version, its referenced type written out.
  await ui.fill('produce-topic', topic);
  await page.getByTestId('record-editor').locator('summary').click();
  await page.getByTestId('record-writer').selectOption('registered');
  await page.getByTestId('record-subject').fill(`${topic}-value`);
  await page.getByTestId('record-json').fill(JSON.stringify(record(3)));
  await page.getByTestId('record-send').click();
  await page.getByTestId('record-result').waitFor();

  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(4);
  const counts = await ui.tailCounts();
  assert.equal(counts.decoded, 4, 'every record decodes with the self-contained writer schema');
  assert.equal(counts.poison, 0);
  const inspected = await ui.inspectFirst('decoded');
  assert.match(inspected.fields, /"country": "NL"/);
  assert.match(inspected.fields, /"city": "Delft"/);
  await shots.shot(page, 'references-inspected');
  await page.close();
});
