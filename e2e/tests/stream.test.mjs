// Step 5 by clicking, in headless Chromium against the real bridge and stack: start the
// streaming query from the page while the page produces clicks at a steady rate, watch the
// window chart fill in and grow, then stop the query cleanly.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { playgroundSuite, screenshots, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

test('a stream started from the page draws windows while clicks arrive, and stops cleanly', async () => {
  const shots = screenshots('stream');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1400 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);
  await ui.waitServicesUp();
  const topic = unique('e2e-stream');

  // The topic exists once the first records are acknowledged; the stream starts while more come.
  await ui.produce({ topic, count: 60_000, rate: 1000, poison: 1, seed: 3 });
  await page.waitForFunction((sel) => Number(document.querySelector(sel)?.textContent) > 0, '[data-testid="produce-acked"]', { timeout: 60_000 });
  await ui.startStream(topic, { window: 10, watermark: 60 });

  const first = await ui.waitStreamTotal(0);
  await page.waitForSelector('[data-testid="stream-chart"] rect.bar', { timeout: 30_000 });
  await shots.shot(page, 'first-windows');
  await shots.section(page, 'section-stream', 'step-5-stream');
  const later = await ui.waitStreamTotal(first);
  assert.ok(later > first, `windows keep filling: ${first} → ${later}`);
  assert.ok(Number(await page.getAttribute('[data-testid="stream-chart"]', 'data-windows')) > 0);
  // The time axis names the windows' starts (event time, UTC; 10 s windows: with seconds), and
  // each bar says its count.
  const starts = await page.locator('[data-testid="stream-chart-x"]').allTextContents();
  assert.ok(starts.length > 0 && starts.every((t) => /^\d\d:\d\d:\d\d$/.test(t)), starts.join(' '));
  assert.match(await page.locator('[data-testid="stream-chart"] rect.bar title').first().textContent(), /clicks in the window from \d\d:\d\d:\d\d UTC/);
  // Progress comes from Spark's last micro-batch report, which can trail the first windows.
  await page.waitForFunction((sel) => /rows\/s/.test(document.querySelector(sel)?.textContent ?? ''), '[data-testid="stream-processing-rate"]', { timeout: 60_000 });
  assert.equal(await page.locator('[data-testid="stream-error"]').count(), 0);
  await shots.shot(page, 'filling');

  assert.equal(await ui.stopStream(), 'ended');
  await page.click('[data-testid="produce-stop"]').catch(() => {});
  await page.close();
});
