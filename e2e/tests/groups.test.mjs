// Consumer groups in the page, in headless Chromium against the real bridge and stack: a group
// that `kafka-demo consume --group` left behind is listed and described with its committed
// offsets and lag, reset to the earliest offsets from a plan, and a second reader (a consume in
// that group) then reads every record again.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kafkaDemo, playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();
const RECORDS = 600;
const READ_FIRST = 250;

/** Records `consume --format jsonl` printed. */
function lines(text) {
  return text.split('\n').filter((l) => l.trim().startsWith('{')).length;
}

test('a consumer group is described and reset from the page', async () => {
  const shots = screenshots('groups');
  const topic = unique('e2e-groups');
  const group = unique('e2e-group');
  kafkaDemo(['produce', '--topic', topic, '--count', String(RECORDS), '--partitions', '3']);
  const first = kafkaDemo(['consume', '--topic', topic, '--group', group, '--from-beginning',
    '--max', String(READ_FIRST), '--format', 'jsonl']);
  assert.equal(lines(first), READ_FIRST);

  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1600 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  // A tail from now on knows every partition's position from its first report: lag 0, not "—".
  await page.getByTestId('consume-topic').fill(topic);
  await page.getByTestId('consume-from').selectOption('end');
  await page.getByTestId('consume-start').click();
  await page.waitForFunction(() => {
    const rows = document.querySelectorAll('[data-testid="consume-partitions"] tbody tr');
    return rows.length === 3 && [...rows].every((r) => r.dataset.lag === '0');
  }, null, { timeout: 10_000 });
  await page.getByTestId('consume-stop').click();

  const block = page.getByTestId('groups');
  await block.locator('summary').click();
  await page.getByTestId('groups-refresh').click();
  const row = page.locator(`[data-testid="groups-list"] tr[data-group="${group}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.match(await row.innerText(), new RegExp(topic));
  await row.getByRole('button', { name: 'Describe' }).click();

  const described = page.locator(`[data-testid="groups-described"][data-group="${group}"]`);
  await described.waitFor({ timeout: 30_000 });
  const committed = async () => (await described.locator('tbody tr').evaluateAll(
    (rows) => rows.map((r) => Number(r.dataset.committed || 0)),
  )).reduce((a, b) => a + b, 0);
  assert.equal(await committed(), READ_FIRST, 'the committed offsets add up to what the consumer read');
  // Lag counts the partitions the group has committed on: their ends less what it read.
  const ends = await described.locator('tbody tr').evaluateAll(
    (rows) => rows.map((r) => Number(r.querySelectorAll('td')[3].innerText.replace(/,/g, ''))),
  );
  assert.ok(ends.reduce((a, b) => a + b, 0) <= RECORDS);
  const lag = ends.reduce((a, b) => a + b, 0) - READ_FIRST;
  assert.match(await described.locator('h4').innerText(), new RegExp(`total lag ${lag}$`));

  assert.equal(await page.getByTestId('groups-reset-topic').inputValue(), topic);
  await page.getByTestId('groups-plan').click();
  const plan = page.getByTestId('groups-plan-result');
  await plan.waitFor({ timeout: 30_000 });
  assert.equal(await plan.getAttribute('data-executed'), 'false');
  const targets = await plan.locator('tbody tr').evaluateAll((rows) => rows.map((r) => Number(r.dataset.target)));
  assert.deepEqual(targets, [0, 0, 0]);
  await shots.shot(page, 'groups-plan');
  await shots.section(page, 'groups', 'step-3-groups');

  await page.getByTestId('groups-apply').click();
  await page.locator('[data-testid="groups-plan-result"][data-executed="true"]').waitFor({ timeout: 30_000 });
  await page.waitForFunction(
    (g) => {
      const rows = document.querySelectorAll(`[data-testid="groups-described"][data-group="${g}"] tbody tr`);
      return rows.length > 0 && [...rows].every((r) => r.dataset.committed === '0');
    },
    group,
    { timeout: 30_000 },
  );
  await shots.shot(page, 'groups-reset');

  // The second reader: the group now starts at the beginning of every partition.
  const again = kafkaDemo(['consume', '--topic', topic, '--group', group, '--max', String(RECORDS), '--timeout', '30s',
    '--format', 'jsonl']);
  assert.equal(lines(again), RECORDS, 'after the reset the group reads every record again');

  // A bad offset is refused in the page with a sentence, and nothing is sent.
  await page.getByTestId('groups-reset-to').selectOption('offset');
  await page.getByTestId('groups-reset-value').fill('-3');
  await page.getByTestId('groups-plan').click();
  assert.match(await page.getByTestId('groups-error').innerText(), /not an offset/);
  await page.close();
});
