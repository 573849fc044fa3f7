// The cluster switcher: a bridge started on profile `a` of a config file offers `a` and `b` (both
// the shared test stack, `b` reached by the name localhost so its addresses differ). The status
// bar names the cluster; picking `b` reloads the page on `b`, whose services the lights show, and
// records produced from the page there are tailed back. With a tail running, the switch asks
// first; a page whose address names a cluster the bridge does not offer says so and works on `a`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { playgroundSuite, root, screenshots, testPort, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const id = (testId) => `[data-testid="${testId}"]`;
const WAIT = { timeout: 20_000 };

/** A config file of profiles `a` (127.0.0.1) and `b` (localhost), both the shared test stack. */
function configFile() {
  const profile = (host) => [
    `bootstrap_servers = "${host}:${testPort(92)}"`,
    `registry_url = "http://${host}:${testPort(81)}/apis/ccompat/v7"`,
    `spark_url = "sc://${host}:${testPort(2)}"`,
    'spark_token = "kafka-demo-test-token"',
  ].join('\n');
  const dir = join(root, 'target', 'tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${unique('e2e-clusters')}.toml`);
  writeFileSync(file, `[clusters.a]\n${profile('127.0.0.1')}\n\n[clusters.b]\n${profile('localhost')}\n`);
  return file;
}

const suite = playgroundSuite({ globalArgs: ['--config', configFile(), '--cluster', 'a'] });

/** The cluster the status bar names, once it names `name`. */
async function waitCluster(page, name) {
  await page.waitForFunction(([sel, n]) => document.querySelector(sel)?.textContent.trim() === n,
    [id('cluster-name'), name], WAIT);
}

/** The Kafka light's tooltip, once it says where Kafka is. */
async function kafkaTitle(page, host) {
  await page.waitForFunction(([sel, h]) => document.querySelector(sel)?.title.includes(`at ${h}:`),
    [id('status-kafka'), host], WAIT);
  return page.getAttribute(id('status-kafka'), 'title');
}

test('the status bar names the cluster and switching reloads the page against another', async () => {
  const shots = screenshots('cluster-switch');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await waitCluster(page, 'a');
  const offered = await page.locator(`${id('cluster-select')} option`).allTextContents();
  assert.deepEqual(offered, ['a', 'b']);
  assert.equal(await page.inputValue(id('cluster-select')), 'a');
  assert.match(await kafkaTitle(page, '127.0.0.1'), new RegExp(`127\\.0\\.0\\.1:${testPort(92)}: up`));
  await ui.waitServicesUp();
  await shots.shot(page, 'on-a');

  await Promise.all([
    page.waitForURL((url) => url.searchParams.get('cluster') === 'b', WAIT),
    page.selectOption(id('cluster-select'), 'b'),
  ]);
  await ui.waitConnected();
  await waitCluster(page, 'b');
  assert.equal(await page.inputValue(id('cluster-select')), 'b');
  const title = await kafkaTitle(page, 'localhost');
  assert.match(title, new RegExp(`localhost:${testPort(92)}: up`));
  assert.match(await page.getAttribute(id('status-registry'), 'title'), /at http:\/\/localhost:/);
  await ui.waitServicesUp();

  const topic = unique('e2e-cluster-b');
  await ui.produce({ topic, count: 300, poison: 0 });
  assert.match(await ui.waitProduced(300), /0 not delivered/);
  await ui.startTail(topic, 'beginning');
  await ui.waitReceived(300);
  const counts = await ui.tailCounts();
  assert.equal(counts.received, 300);
  assert.equal(counts.decoded, 300);
  await shots.shot(page, 'on-b-tailed');

  // The tail runs: switching asks first, and a "no" keeps the page (and its tail) on b.
  let asked = '';
  page.once('dialog', (dialog) => { asked = dialog.message(); dialog.dismiss(); });
  await page.selectOption(id('cluster-select'), 'a');
  assert.match(asked, /ends its running jobs/);
  assert.equal(new URL(page.url()).searchParams.get('cluster'), 'b');
  assert.equal(await page.inputValue(id('cluster-select')), 'b');
  assert.equal(await page.textContent(id('consume-state')), 'live');
  await page.click(id('consume-stop'));
  await page.close();
});

test('a cluster the bridge does not offer is named and the page works on the default', async () => {
  const shots = screenshots('cluster-unknown');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const ui = new Playground(page);
  const url = new URL(suite.bridge.url);
  url.searchParams.set('cluster', 'nope');
  await ui.open(url.toString());
  await waitCluster(page, 'a');
  const notice = await page.textContent(id('cluster-notice'));
  assert.match(notice, /no cluster named "nope"/);
  assert.match(notice, /a, b/);
  await shots.shot(page, 'unknown-cluster');
  await page.close();
});
