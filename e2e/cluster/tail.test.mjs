// The cluster suite's browser test (make test-cluster): 200,000 clicks produced over SASL_SSL to
// the local cluster by the CLI, then tailed and decoded in the page of a bridge serving the
// cluster's profile; the page's counts are checked against a consumer's (a second reader).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { clusterFlags, kafkaDemo, launchBrowser, screenshots, startBridge, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const COUNT = 200_000;
const flags = clusterFlags();
let bridge;
let browser;

before(async () => {
  kafkaDemo(['stack', 'up', '--timeout', '400'], { flags, timeout: 900_000 });
  bridge = await startBridge({ flags });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await bridge?.stop();
});

test('200k records produced over SASL_SSL are tailed and decoded in the page', async () => {
  const shots = screenshots('cluster-tail');
  const topic = unique('e2e-cluster');
  const summary = kafkaDemo(['produce', '--topic', topic, '--count', String(COUNT), '--seed', '59'], { flags, timeout: 600_000 });
  assert.match(summary, new RegExp(`acknowledged=${COUNT} failed=0`), summary);

  const page = await browser.newPage({ viewport: { width: 1400, height: 1200 } });
  const ui = new Playground(page);
  await ui.open(bridge.url);
  await ui.waitServicesUp();
  const kafka = await page.getAttribute('[data-testid="status-kafka"]', 'title');
  assert.match(kafka, new RegExp(`127\\.0\\.0\\.1:${26091 + Number(process.env.KAFKA_DEMO_TEST_PORT_OFFSET ?? 0)}`), 'the page shows the cluster');
  await shots.shot(page, 'cluster-status');

  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(COUNT, 300_000);
  const counts = await ui.tailCounts();
  await shots.shot(page, 'tailed');
  assert.deepEqual(counts, { received: COUNT, decoded: COUNT, poison: 0 });

  // A consumer of its own counts the topic too.
  const consumed = kafkaDemo(['consume', '--topic', topic, '--from-beginning', '--max', String(COUNT), '--timeout', '60'], { flags, timeout: 600_000 });
  assert.equal(consumed.trim().split('\n').length, COUNT);
});
