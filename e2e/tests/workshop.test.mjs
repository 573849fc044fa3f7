// Workshop mode by clicking, in headless Chromium against a real `kafka-demo serve --workshop`
// and the stack: an attendee joins, fixes the seed's schema and registers it, and step 1 turns
// green; the instructor's desk shows them with step 1 ✓; a broadcast reaches the attendee's page;
// a reset removes their subject and says so; a wrong instructor key is refused and the right one
// then takes the seat. Then step 2 and 3 with a poison pill picked in the inspector as the answer,
// joining again by itself after the bridge restarts, and a second Spark job refused by the
// attendee's limit with the bridge's words where it was started.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playgroundSuite, screenshots, startBridge, testPort, unique } from '../lib/harness.mjs';
import { Attendee, Instructor } from '../lib/playground.mjs';

const WAIT = { timeout: 30_000 };

/** Whether the page scrolls sideways: wider than its window. */
function overflows(page) {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

const key = unique('instructor-key');
const suite = playgroundSuite({ workshop: true, instructorKey: key });

test('an attendee joins, registers the fixed seed schema, and the instructor sees step 1 done', async () => {
  const shots = screenshots('workshop');
  // One browser profile for the attendee's tabs, so they share the remembered name.
  const profile = await suite.browser.newContext({ viewport: { width: 1400, height: 1200 } });
  const page = await profile.newPage();
  const ui = new Attendee(page);
  await ui.openToJoin(suite.bridge.url);
  assert.equal(await page.locator('[data-testid="section-schema"]').isVisible(), false, 'the playground waits for a name');

  // The page applies the bridge's naming rules as the name is typed.
  await page.fill('[data-testid="join-name"]', 'Ada_1');
  await page.waitForSelector('[data-testid="join-invalid"]');
  assert.match(await page.textContent('[data-testid="join-invalid"]'), /lowercase/);
  assert.equal(await page.isDisabled('[data-testid="join-submit"]'), true);
  await shots.shot(page, 'join-invalid');

  const name = unique('ada').slice(0, 32);
  await ui.join(name);
  const header = await ui.header();
  assert.equal(header.name, name);
  assert.equal(header.prefix, `${name}.`);
  assert.match(header.limits, /^produce ≤ [\d,.]+ records\/s · tail ≤ [\d,]+ records\/s · \d+ Spark jobs? at a time$/);
  assert.equal(await ui.stepStatus('schema'), 'unchecked');
  assert.equal(await page.evaluate(() => localStorage.getItem('kafka-demo.attendee')), name, 'the name is remembered');
  await shots.shot(page, 'joined');

  // A second tab cannot take the same name: the bridge says why.
  const other = new Attendee(await profile.newPage());
  await other.openToJoin(suite.bridge.url);
  assert.equal(await other.page.inputValue('[data-testid="join-name"]'), name, 'the form offers the remembered name');
  await other.submitName(name);
  assert.match(await other.joinError(), /already taken/);
  await other.page.close();

  // Nothing registered yet: the check says what is missing.
  await ui.checkStep('schema');
  await ui.waitStep('schema', 'not-done');
  assert.ok(await page.locator('[data-testid="step-schema-missing"] li').count() > 0, 'the missing lines are listed');

  // Step 1: the seed's text does not parse (trailing comma); fix it and register it.
  await ui.load('seed');
  await ui.waitValid(false);
  assert.match(await ui.schemaError(), /trailing comma/);
  const seed = await ui.editorText();
  const fixed = seed.replace(/"float" \},(\s*\])/, '"float" }$1');
  assert.notEqual(fixed, seed);
  await ui.setEditor(fixed);
  await ui.waitValid(true);
  assert.equal(await page.inputValue('[data-testid="topic"]'), 'clicks-avro');
  const registered = await ui.register();
  assert.match(registered, new RegExp(`${name}\\.clicks-avro-value version 1\\b`));
  await ui.checkStep('schema');
  const summary = await ui.waitStep('schema', 'done');
  assert.ok(summary.length > 0, 'the check says what it found');
  assert.equal(await page.locator('[data-testid="step-schema-missing"] li').count(), 0);
  await shots.shot(page, 'step-1-done');

  // The instructor's desk, opened at the link the bridge printed, shows the attendee, connected,
  // with step 1 done.
  const link = suite.bridge.instructorUrl;
  assert.ok(link?.endsWith(`#instructor=${key}`), `the bridge prints the instructor's link: ${link}`);
  const desk = new Instructor(await suite.browser.newPage({ viewport: { width: 1400, height: 900 } }));
  await desk.openLink(link);
  await desk.waitSeated();
  const row = await desk.waitAttendeeStep(name, 'schema', 'done');
  assert.equal(row.connected, 'true');
  assert.match(row.done, /^1 \/ 6$/);
  assert.match(row.tooltip, /Fix and register the schema/);
  assert.notEqual(await desk.page.getAttribute(`[data-testid="instructor-step-${name}-produce"]`, 'data-status'), 'done', 'nothing was produced');
  // The columns are headed by the steps' names; each state has its own mark and word, and a
  // passed step says how long it took.
  const heads = await desk.page.locator('[data-testid^="instructor-head-"]').allTextContents();
  assert.equal(heads.length, 6);
  for (const title of ['Fix and register the schema', 'Produce clicks', 'Consume and find a poison pill', 'Run the batch job', 'Watch a window close', 'Evolve the schema']) {
    assert.ok(heads.some((h) => h.includes(title)), `a column is headed "${title}": ${heads.join(' | ')}`);
  }
  const cell = (step) => desk.page.locator(`[data-testid="instructor-step-${name}-${step}"]`);
  const passed = cell('schema');
  assert.equal(await passed.getAttribute('data-state'), 'passed');
  assert.match(await passed.textContent(), /✓\s*passed\s*\d+ (s|min)/);
  const notStarted = cell('evolve');
  assert.equal(await notStarted.getAttribute('data-state'), 'not-started');
  assert.match(await notStarted.textContent(), /not started/);
  assert.notEqual((await passed.textContent()).trim()[0], (await notStarted.textContent()).trim()[0], 'the marks differ, not only their colour');
  assert.match(await passed.getAttribute('title'), /^passed — Fix and register the schema/);
  await shots.shot(desk.page, 'instructor');

  // A broadcast shows on the attendee's page as a banner, newest on top, and can be dismissed.
  const first = `first note ${unique('b')}`;
  const second = `Ten minutes left for step 1 ${unique('b')}`;
  await desk.broadcast(first);
  await ui.waitBroadcast(first);
  await desk.broadcast(second);
  const banners = await ui.waitBroadcast(second);
  assert.ok(banners[0].includes(second) && banners[1].includes(first), banners.join(' | '));
  await shots.shot(page, 'broadcast');
  // The banners stay in view wherever the page is scrolled to.
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await page.waitForFunction(() => window.scrollY > 0);
  const inView = await page.locator('[data-testid="broadcast-banner"]').evaluateAll((all) => all.map((b) => {
    const r = b.getBoundingClientRect();
    return r.top >= 0 && r.bottom <= window.innerHeight && r.height > 0;
  }));
  assert.deepEqual(inView, [true, true], 'both banners are in view at the bottom of the page');
  await shots.shot(page, 'broadcast-scrolled');
  await page.locator('[data-testid="broadcast-dismiss"]').first().click();
  await page.waitForFunction((t) => ![...document.querySelectorAll('[data-testid="broadcast-banner"]')].some((b) => b.textContent.includes(t)), second);
  assert.equal(await page.locator('[data-testid="broadcast-banner"]').count(), 1);

  // A reset from the desk (confirmed first) removes the attendee's subject; their page says so
  // and their steps start over.
  await desk.page.click(`[data-testid="instructor-reset-${name}"]`);
  await desk.page.waitForSelector('[data-testid="instructor-confirm"]');
  assert.match(await desk.page.textContent('[data-testid="instructor-confirm"]'), new RegExp(`Reset ${name}\\?`));
  await desk.page.click('[data-testid="instructor-confirm-yes"]');
  await desk.page.waitForSelector('[data-testid="instructor-reset-result"]');
  assert.match(await desk.page.textContent('[data-testid="instructor-reset-result"]'), new RegExp(`${name}\\.clicks-avro-value`));
  await page.waitForSelector('[data-testid="reset-notice"]');
  assert.match(await page.textContent('[data-testid="reset-notice"]'), new RegExp(`subjects: ${name}\\.clicks-avro-value`));
  // (the bridge may check again at once, so "not done" rather than "unchecked")
  await page.waitForSelector('[data-testid="step-schema-status"]:not([data-status="done"])');
  await page.waitForSelector('[data-testid="register-result"]', { state: 'detached' });
  await desk.page.waitForSelector(`[data-testid="instructor-step-${name}-schema"]:not([data-status="done"])`);
  await shots.shot(page, 'reset');
  // The desk's note of what a reset removed closes.
  await desk.page.click('[data-testid="instructor-reset-dismiss"]');
  await desk.page.waitForSelector('[data-testid="instructor-reset-result"]', { state: 'detached' });

  await desk.page.close();
  await profile.close();
});

test('a wrong instructor key is refused, and the right one then takes the seat', async () => {
  const shots = screenshots('workshop-instructor-key');
  const desk = new Instructor(await suite.browser.newPage());
  await desk.open(suite.bridge.url, `not-${key}`);
  assert.match(await desk.refusal(), /not the instructor key/);
  assert.equal(await desk.page.locator('[data-testid="instructor-roster"]').count(), 0, 'no roster without the seat');
  assert.equal(await desk.page.locator('[data-testid="section-schema"]').count(), 0, 'the desk is not the playground');
  await shots.shot(desk.page, 'refused');
  await desk.retryWith(key);
  await desk.waitSeated();
  assert.equal(await desk.page.locator('[data-testid="instructor-error"]').count(), 0);
  await shots.shot(desk.page, 'seated');
  await desk.page.close();
});

test('produce with poison pills, pick one in the inspector as the answer, and step 3 turns green', async () => {
  const shots = screenshots('workshop-poison-pill');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const ui = new Attendee(page);
  await ui.openToJoin(suite.bridge.url);
  const name = unique('bob').slice(0, 32);
  await ui.join(name);

  await ui.produce({ topic: 'clicks-avro', count: 1_500, poison: 2 });
  assert.match(await ui.waitProduced(1_500), /0 not delivered/);
  await ui.checkStep('produce');
  await ui.waitStep('produce', 'done');

  await ui.startTail('clicks-avro', 'beginning');
  await ui.waitReceived(1_500);
  await ui.poisonOnly(true);
  const pill = await ui.inspectFirst('poison');
  const answer = pill.place.replace(' / ', ':');
  await page.click('[data-testid="inspector-use-answer"]');
  assert.equal(await page.inputValue('[data-testid="step-consume-answer"]'), answer);
  await ui.checkStep('consume');
  await ui.waitStep('consume', 'done');
  await shots.shot(page, 'step-3-done');

  // A record that decodes is no answer.
  await ui.poisonOnly(false);
  const fine = await ui.inspectFirst('decoded');
  await ui.checkStep('consume', fine.place.replace(' / ', ':'));
  await ui.waitStep('consume', 'not-done');
  await page.close();
});

test('after a bridge restart the page joins again under the same name by itself', async () => {
  // A fixed port below the ephemeral range: the pages retry it while the bridge is gone.
  const own = await startBridge({ port: testPort(56), workshop: true, instructorKey: key });
  const page = await suite.browser.newPage();
  const ui = new Attendee(page);
  try {
    await ui.openToJoin(own.url);
    const name = unique('cy').slice(0, 32);
    await ui.join(name);
    await own.stop();
    await ui.waitReconnecting();
    // The page says the bridge cannot be reached, and claims nothing about the services.
    await page.waitForSelector('[data-testid="connection-problem"]', WAIT);
    assert.match(await page.textContent('[data-testid="connection-problem"]'), /bridge cannot be reached; retrying/);
    assert.match(await page.textContent('[data-testid="connection"]'), /cannot be reached; retrying/);
    for (const service of ['kafka', 'registry', 'spark']) {
      assert.equal(await page.getAttribute(`[data-testid="status-${service}"]`, 'data-light'), 'unknown', service);
    }
    const again = await startBridge({ port: own.port, workshop: true, instructorKey: key });
    try {
      await ui.waitConnected();
      // The new session knows the name again: checks are answered, not refused.
      await page.waitForSelector('[data-testid="step-check-schema"]:not([disabled])');
      await ui.checkStep('schema');
      await ui.waitStep('schema', 'not-done');
      assert.equal(await page.locator('[data-testid="join-form"]').count(), 0);
      assert.equal((await ui.header()).name, name);
    } finally {
      await again.stop();
    }
  } finally {
    await page.close();
  }
});

test('a second Spark job is refused with the limit, in plain words where it was started', async () => {
  const shots = screenshots('workshop-spark-limit');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const ui = new Attendee(page);
  await ui.openToJoin(suite.bridge.url);
  await ui.join(unique('dee').slice(0, 32));
  await ui.produce({ topic: 'clicks-avro', count: 300, poison: 0 });
  await ui.waitProduced(300);
  await ui.startStream('clicks-avro');
  try {
    const checkpoint = (await page.textContent('[data-testid="stream-checkpoint"]')).trim();
    assert.match(checkpoint, /^checkpoint: kept by the bridge \(stream\/[^/\s]+\)$/, checkpoint);
    await ui.fill('batch-topic', 'clicks-avro');
    await page.click('[data-testid="batch-run"]');
    await page.waitForSelector('[data-testid="batch-error"]', { timeout: 60_000 });
    assert.match(await page.textContent('[data-testid="batch-error"]'), /Spark job.* at once/);
    await shots.shot(page, 'limit-reached');
  } finally {
    await ui.stopStream();
    await page.close();
  }
});

test('a link with a wrong or missing token says so within seconds, and never that Kafka is down', async () => {
  const shots = screenshots('workshop-token');
  const token = unique('room');
  const own = await startBridge({ token, workshop: true, instructorKey: key });
  try {
    for (const [what, query] of [['wrong', `?token=not-${token}`], ['missing', '']]) {
      const page = await suite.browser.newPage();
      const url = new URL(own.url);
      url.search = query;
      const started = Date.now();
      await page.goto(url.toString());
      await page.waitForSelector('[data-testid="connection-problem"]', { timeout: 5_000 });
      assert.ok(Date.now() - started < 5_000);
      assert.match(await page.textContent('[data-testid="connection-problem"]'), /token is wrong/, what);
      assert.equal((await page.textContent('[data-testid="connection"]')).trim(), 'token refused', what);
      const bar = await page.textContent('nav.status-bar');
      assert.doesNotMatch(bar, /down/, `${what}: ${bar}`);
      assert.equal(await page.getAttribute('[data-testid="status-kafka"]', 'data-light'), 'unknown');
      assert.equal(await page.locator('[data-testid="join-form"]').count(), 0);
      await shots.shot(page, `token-${what}`);
      await page.close();
    }
    // The room's link itself connects.
    const page = await suite.browser.newPage();
    const ui = new Attendee(page);
    await ui.openToJoin(own.url);
    assert.equal(await page.locator('[data-testid="connection-problem"]').count(), 0);
    await page.close();
  } finally {
    await own.stop();
  }
});

test('at 1,024 px and 1,400 px nothing scrolls sideways: the playground with a batch report, the desk; the tail keeps its numbers after Stop', async () => {
  const shots = screenshots('workshop-widths');
  const page = await suite.browser.newPage({ viewport: { width: 1024, height: 768 } });
  const ui = new Attendee(page);
  await ui.openToJoin(suite.bridge.url);
  assert.equal(await overflows(page), false, 'the join form');
  const name = unique('eve').slice(0, 32);
  await ui.join(name);
  assert.equal(await overflows(page), false, 'the joined playground');

  await ui.produce({ topic: 'clicks-avro', count: 1_200, poison: 2 });
  await ui.waitProduced(1_200);
  await ui.startTail('clicks-avro', 'beginning');
  await ui.waitReceived(1_200);
  assert.match(await page.textContent('[data-testid="consume-received"]'), /^\d{1,3}(,\d{3})+$/, 'counts have thousands separators');
  // The checkbox sits by its words.
  const box = await page.locator('[data-testid="consume-poison-only"]').boundingBox();
  const label = await page.locator('label.check').boundingBox();
  assert.ok(label.width < 260 && box.x - label.x < 10, `checkbox ${JSON.stringify(box)} in label ${JSON.stringify(label)}`);
  // Every partition read to its end; then Stop keeps those positions, marked as stopped.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid="consume-partitions"] tbody tr')];
    return rows.length === 3 && rows.every((r) => r.dataset.lag === '0');
  }, null, WAIT);
  const positions = () => page.locator('[data-testid="consume-partitions"] tbody tr').allTextContents();
  const before = await positions();
  await page.click('[data-testid="consume-stop"]');
  await page.waitForFunction(() => document.querySelector('[data-testid="consume-state"]')?.textContent.trim() === 'stopped');
  assert.match(await page.textContent('[data-testid="consume-rate"]'), /stopped/);
  await page.waitForSelector('[data-testid="consume-partitions-stopped"]', WAIT);
  assert.deepEqual(await positions(), before, 'the last positions stay');
  assert.equal(await page.getAttribute('[data-testid="consume-partitions"]', 'data-stopped'), 'true');

  const report = await ui.runBatch('clicks-avro');
  assert.equal(report.recordsRead, 1_200);
  // Per writer schema: decoded and poison pills apart, adding up to what was framed.
  const rows = await page.locator('[data-testid="batch-schemas"] tbody tr').evaluateAll((all) => all.map((r) => [...r.cells].map((c) => c.textContent.replace(/,/g, ''))));
  const decoded = rows.reduce((sum, r) => sum + Number(r[2]), 0);
  assert.equal(decoded, report.clicks, `writer schemas ${JSON.stringify(rows)} agree with the clicks decoded`);
  for (const r of rows) assert.equal(Number(r[2]) + Number(r[3]), Number(r[1]), JSON.stringify(r));
  for (const stage of report.stages) assert.doesNotMatch(stage, /(^|\s)(\/|[A-Za-z]:\\)\S*[\\/]/, `no path on the bridge's machine: ${stage}`);
  const output = await page.textContent('[data-testid="batch-output"]');
  assert.match(output, /^kept by the bridge \(batch\/[^/]+\)$/, output);
  assert.equal(await page.getAttribute('[data-testid="batch-output"]', 'title'), '', 'no path on the bridge machine in workshop mode');
  await page.locator('[data-testid="batch-minute-chart"]').scrollIntoViewIfNeeded();
  const tick = await page.locator('[data-testid="batch-minute-chart"] text.tick').first().evaluate((t) => t.getBoundingClientRect().height);
  assert.ok(tick >= 10, `chart labels are ${tick} px high`);
  assert.equal(await overflows(page), false, 'the playground with a batch report at 1,024 px');
  await shots.shot(page, 'attendee-1024');
  await page.setViewportSize({ width: 1400, height: 900 });
  assert.equal(await overflows(page), false, 'the playground with a batch report at 1,400 px');
  const users = await page.locator('[data-testid="batch-users"]').boundingBox();
  assert.ok(users.x + users.width <= 1400, `"users (approx.)" is in view: ${JSON.stringify(users)}`);
  await shots.shot(page, 'attendee-1400');

  const desk = new Instructor(await suite.browser.newPage({ viewport: { width: 1024, height: 768 } }));
  await desk.openLink(suite.bridge.instructorUrl);
  await desk.waitSeated();
  await desk.waitAttendeeStep(name, 'produce', 'done');
  assert.equal(await overflows(desk.page), false, 'the desk at 1,024 px');
  await shots.shot(desk.page, 'desk-1024');
  await desk.page.close();
  await page.close();
});
