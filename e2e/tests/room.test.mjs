// A workshop as a teacher runs it, in headless Chromium against a real `kafka-demo serve
// --workshop --token …` and the stack: a desk and three attendees. One tails 13,000 records
// from the beginning at the room's tail limit and receives every one; one produces the 1,000
// clicks of step 2, starts the stream, produces 1,000 more, and step 5 turns green; one
// registers a schema lacking a field, is refused the full one, and gets out alone with "Start
// step 1 again". Then the bridge is killed (SIGKILL) mid-run and started again on the same
// room file: every attendee's completed steps are still there, on their pages and the desk,
// and the produce run the kill cut off shows as ended with Produce enabled again. A fifth page,
// opened with a wrong token, is told so.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureStack, launchBrowser, screenshots, startBridge, testPort, unique } from '../lib/harness.mjs';
import { Attendee, Instructor } from '../lib/playground.mjs';

const key = unique('room-key');
const token = unique('room-token');
const roomDir = mkdtempSync(join(tmpdir(), 'kafka-demo-room-'));
const roomFile = join(roomDir, 'room.json');
// A fixed port below the ephemeral range: the pages retry it while the bridge is gone.
const port = testPort(58);
const bridgeOptions = { port, token, workshop: true, instructorKey: key, roomFile };

let bridge;
let browser;
before(async () => {
  ensureStack();
  bridge = await startBridge(bridgeOptions);
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
  await bridge?.stop();
  rmSync(roomDir, { recursive: true, force: true });
});

/** A fresh browser profile (its own remembered name) with an attendee joined as `name`. */
async function attendee(name, width = 1400) {
  const context = await browser.newContext({ viewport: { width, height: 1200 } });
  const ui = new Attendee(await context.newPage());
  await ui.openToJoin(bridge.url);
  await ui.join(name);
  return ui;
}

/** The click schema the page ships, as the editor holds it after joining. */
async function clickSchema(ui) {
  return JSON.parse(await ui.editorText());
}

test('a desk and three attendees: every record tailed, step 5 closes a window, a stuck attendee gets out, and a restart keeps the room', async () => {
  const shots = screenshots('room');
  const desk = new Instructor(await browser.newPage({ viewport: { width: 1024, height: 900 } }));
  await desk.openLink(bridge.instructorUrl);
  await desk.waitSeated();

  const [ana, ben, cy] = ['ana', 'ben', 'cy'].map((n) => unique(n).slice(0, 32));
  const tailer = await attendee(ana);
  const streamer = await attendee(ben);
  const stuck = await attendee(cy, 1024);

  // 6. Someone typed the room's link with a wrong token: the page names the token, not Kafka.
  const wrong = await browser.newPage();
  const badLink = new URL(bridge.url);
  badLink.searchParams.set('token', `not-${token}`);
  await wrong.goto(badLink.toString());
  await wrong.waitForSelector('[data-testid="connection-problem"]', { timeout: 5_000 });
  assert.match(await wrong.textContent('[data-testid="connection-problem"]'), /token is wrong/);
  assert.doesNotMatch(await wrong.textContent('nav.status-bar'), /down/);
  await shots.shot(wrong, 'wrong-token');
  await wrong.close();

  // 1. The tail reads every partition to the end at the room's limit (5,000 records/s).
  await tailer.produce({ topic: 'clicks-avro', count: 13_000, poison: 1, partitions: 3 });
  assert.match(await tailer.waitProduced(13_000), /0 not delivered/);
  await tailer.startTail('clicks-avro', 'beginning');
  await tailer.waitReceived(13_000, 60_000);
  assert.equal((await tailer.tailCounts()).received, 13_000, 'every record, none twice');
  for (const p of [0, 1, 2]) {
    // The lag is reported about once a second: wait for the report after the last record.
    await tailer.page.waitForSelector(`[data-testid="consume-partitions"] tr[data-partition="${p}"][data-lag="0"]`, { timeout: 10_000 });
  }
  await shots.shot(tailer.page, 'tail-13000');

  // 2. Step 5: the 1,000 clicks of step 2, the stream, 1,000 more, and a window closes.
  await streamer.produce({ topic: 'clicks-avro', count: 1_000, poison: 0, partitions: 3 });
  await streamer.waitProduced(1_000);
  await streamer.startStream('clicks-avro');
  await streamer.waitStreamTotal(0);
  const hint = await streamer.waitStep('stream', 'not-done', 120_000);
  assert.match(hint, /watermark|window|stream/i, hint);
  const missing = await streamer.page.textContent('[data-testid="step-stream-missing"]');
  assert.doesNotMatch(missing, /kafka-demo /, 'the hint speaks of the page, not of commands');
  // The second run continues the event time where the first one's clicks ended (50 s on).
  await streamer.produce({ topic: 'clicks-avro', count: 1_000, poison: 0, partitions: 3 });
  await streamer.page.waitForFunction(
    () => /Event time from 2024-01-01 00:00:50/.test(document.querySelector('[data-testid="produce-event-time"]')?.textContent ?? ''),
    null, { timeout: 20_000 });
  await streamer.waitProduced(1_000);
  const closed = await streamer.waitStep('stream', 'done', 180_000);
  assert.match(closed, /Window 00:00–00:01 closed/, closed);
  await shots.shot(streamer.page, 'step-5-done');
  await streamer.stopStream();

  // 4. A first version lacking a field: the full click is refused, and the way out is offered.
  const full = await clickSchema(stuck);
  const short = { ...full, fields: full.fields.slice(0, -1) };
  await stuck.setEditor(JSON.stringify(short, null, 2));
  await stuck.waitValid(true);
  assert.match(await stuck.register(), /version 1\b/);
  await stuck.checkStep('schema');
  await stuck.waitStep('schema', 'not-done');
  const why = await stuck.page.textContent('[data-testid="step-schema-missing"]');
  assert.match(why, new RegExp(`lacks ${full.fields.at(-1).name}`), why);
  await stuck.setEditor(JSON.stringify(full, null, 2));
  await stuck.waitValid(true);
  await stuck.page.click('[data-testid="register"]');
  await stuck.page.waitForSelector('[data-testid="registry-error"]', { timeout: 20_000 });
  assert.match(await stuck.page.textContent('[data-testid="registry-error"]'), /incompatible|compatib/i);
  await shots.shot(stuck.page, 'stuck-refused');
  stuck.page.once('dialog', (dialog) => dialog.accept());
  await stuck.page.click('[data-testid="step-schema-restart"]');
  await stuck.page.waitForSelector('[data-testid="step-schema-restart"]', { state: 'detached', timeout: 20_000 });
  assert.match(await stuck.register(), /version 1\b/, 'the full click is version 1 of a fresh subject');
  await stuck.checkStep('schema');
  await stuck.waitStep('schema', 'done');
  await shots.shot(stuck.page, 'stuck-recovered');

  // The desk sees all three with their steps.
  await desk.waitAttendeeStep(ana, 'produce', 'done');
  await desk.waitAttendeeStep(ben, 'stream', 'done');
  await desk.waitAttendeeStep(cy, 'schema', 'done');
  await shots.shot(desk.page, 'desk-before-restart');

  // 7. A produce run under way when the bridge is killed.
  await tailer.produce({ topic: 'clicks-avro', count: 200_000, poison: 0, partitions: 3 });
  await tailer.page.waitForFunction(() => Number(document.querySelector('[data-testid="produce-acked"]')?.textContent.replace(/\D/g, '')) > 0);
  await bridge.kill();
  for (const ui of [tailer, streamer, stuck]) await ui.waitReconnecting();
  bridge = await startBridge(bridgeOptions);
  for (const ui of [tailer, streamer, stuck]) await ui.waitConnected();

  // Every attendee joined again by themselves and finds their completed steps.
  await tailer.waitStep('produce', 'done');
  await streamer.waitStep('stream', 'done');
  await stuck.waitStep('schema', 'done');
  for (const [ui, name] of [[tailer, ana], [streamer, ben], [stuck, cy]]) {
    assert.equal((await ui.header()).name, name);
  }
  // The run the kill cut off has ended, and a new one may start.
  await tailer.page.waitForSelector('[data-testid="produce-run"]:not([data-state="running"])', { timeout: 20_000 });
  await tailer.page.waitForSelector('[data-testid="produce-start"]:not([disabled])', { timeout: 20_000 });
  await shots.shot(tailer.page, 'after-restart');

  const again = new Instructor(await browser.newPage({ viewport: { width: 1024, height: 900 } }));
  await again.openLink(bridge.instructorUrl);
  await again.waitSeated();
  await again.waitAttendeeStep(ana, 'produce', 'done');
  await again.waitAttendeeStep(ben, 'stream', 'done');
  await again.waitAttendeeStep(cy, 'schema', 'done');
  await shots.shot(again.page, 'desk-after-restart');
});
