// Live-tail benchmark: how many records per second the page keeps up with — every record
// received, decoded in WASM, counted and kept — while `kafka-demo produce` writes at a steady
// rate, whether the page stays responsive meanwhile, and how fast its filter answers over every
// kept row afterwards. Runs against the shared test stack.
//
//   node bench/tail.mjs [--rate 120000] [--seconds 20] [--backlog N]
//
// With --backlog N the producer first writes N records as fast as the broker takes them, and only
// then does the page tail the topic from the beginning: the page's own rate, with no producer
// competing for the machine's cores.
//
// Prints the producer's rate, the page's sustained receive and decode rates (median of 1-second
// samples once the tail is warm) and their ratio to the target (100,000 records/s), the page's
// responsiveness (median and p99 delay of a timer that should fire every 50 ms), the rows kept
// (target ≥ 100,000) with the memory they take, and the time from a change of the filter to the
// new count on screen (median and max over several filters; target ≤ 100 ms).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureStack, launchBrowser, root, stackFlags, startBridge, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';
import { figure } from '../lib/figure.mjs';

const TARGET = 100_000;
const KEEP_TARGET = 100_000;
const FILTER_TARGET_MS = 100;
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rate = flag('rate', 120_000);
const seconds = flag('seconds', 20);
const backlog = flag('backlog', 0);
const bin = process.env.KAFKA_DEMO_BIN ?? join(root, 'target', 'debug', 'kafka-demo');

function produce(topic, how = ['--rate', String(rate), '--duration', `${seconds}s`]) {
  const child = spawn(bin, [...stackFlags(), 'produce', '--topic', topic, ...how,
    '--seed', '5', '--partitions', '3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((done, fail) => child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`produce exited ${code}:\n${out}`)))));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : 0; };
const p99 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] : 0; };

// Changes one filter control and resolves with the milliseconds until the count on screen
// changed (null when it did not change within 10 s: a filter that keeps as many rows as before).
async function timeFilter(page, change) {
  return page.evaluate(async ({ control, value }) => {
    const shown = document.querySelector('[data-testid="consume-shown"]');
    const el = document.querySelector(`[data-testid="${control}"]`);
    const before = shown.textContent;
    const changed = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (shown.textContent !== before) { observer.disconnect(); resolve(performance.now()); }
      });
      observer.observe(shown, { childList: true, characterData: true, subtree: true });
      setTimeout(() => { observer.disconnect(); resolve(null); }, 10_000);
    });
    const start = performance.now();
    if (el.type === 'checkbox') { el.checked = value; el.dispatchEvent(new Event('change', { bubbles: true })); }
    else if (el.tagName === 'SELECT') { el.value = value; el.dispatchEvent(new Event('change', { bubbles: true })); }
    else { el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); }
    const end = await changed;
    return end === null ? null : end - start;
  }, change);
}

// Each change alters the count (from every row to some, or back), so its end can be seen.
const FILTER_CHANGES = [
  { what: 'any field contains "Mozilla/5.0 (Windows"', control: 'consume-filter-text', value: 'Mozilla/5.0 (Windows' },
  { what: 'back to every row', control: 'consume-filter-text', value: '' },
  { what: 'any field contains "77" (numbers and times written)', control: 'consume-filter-text', value: '77' },
  { what: 'field ip contains "77"', control: 'consume-filter-field', value: 'ip' },
  { what: 'field id contains "77"', control: 'consume-filter-field', value: 'id' },
  { what: 'field timestamp contains "77"', control: 'consume-filter-field', value: 'timestamp' },
  { what: 'field timestamp, no text', control: 'consume-filter-text', value: '' },
  { what: 'any field again, every row', control: 'consume-filter-field', value: '' },
  { what: 'poison pills only', control: 'consume-poison-only', value: true },
  { what: 'every row again', control: 'consume-poison-only', value: false },
];

ensureStack();
const bridge = await startBridge();
const browser = await launchBrowser();
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const ui = new Playground(page);
  await ui.open(bridge.url);
  await ui.waitServicesUp();
  const topic = unique('bench-tail');
  // The topic must exist before the tail starts: a first short run creates it.
  await new Promise((done, fail) => {
    const c = spawn(bin, [...stackFlags(), 'produce', '--topic', topic, '--count', '1', '--partitions', '3'], { cwd: root, stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? done() : fail(new Error(`topic setup failed: ${code}`))));
  });
  await page.waitForFunction(() => typeof window.wasmBindings?.wasm_memory_bytes === 'function', null, { timeout: 30_000 });
  const memoryBefore = await page.evaluate(() => window.wasmBindings.wasm_memory_bytes());
  const written = backlog > 0 ? await produce(topic, ['--count', String(backlog)]) : null;
  await ui.startTail(topic, backlog > 0 ? 'beginning' : 'end');
  // A timer in the page that should fire every 50 ms: its lateness is the page's unresponsiveness.
  await page.evaluate(() => {
    window.__lateness = [];
    let last = performance.now();
    window.__timer = setInterval(() => { const now = performance.now(); window.__lateness.push(now - last - 50); last = now; }, 50);
  });
  const producing = written === null ? produce(topic) : Promise.resolve(written);
  const samples = [];
  let previous = await ui.tailCounts();
  let previousAt = Date.now();
  // With a backlog: sample until it is all read (a last, partial second is left out).
  const deadline = Date.now() + (backlog > 0 ? 60_000 + backlog / 10 : (seconds + 5) * 1000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await ui.tailCounts();
    const at = Date.now();
    if (backlog > 0 && now.received >= backlog) break;
    samples.push({ received: (now.received - previous.received) * 1000 / (at - previousAt), decoded: (now.decoded - previous.decoded) * 1000 / (at - previousAt) });
    previous = now;
    previousAt = at;
  }
  const produced = await producing;
  const lateness = await page.evaluate(() => { clearInterval(window.__timer); return window.__lateness; });
  const final = await ui.tailCounts();
  // Warm samples: skip the first two seconds and the idle tail after the producer stopped.
  const warm = (backlog > 0 ? samples.slice(1) : samples.slice(2, seconds)).filter((s) => s.received > 0);
  const received = median(warm.map((s) => s.received));
  const decoded = median(warm.map((s) => s.decoded));
  console.log(`producer: ${produced.trim().split('\n').filter((l) => /records\/s|acknowledged|sent/.test(l)).slice(-1)[0] ?? '(see above)'}`);
  console.log(`page: ${final.received} records received, ${final.decoded} decoded, ${final.poison} poison pills`);
  console.log(`page sustained: ${Math.round(received)} received/s, ${Math.round(decoded)} decoded/s (median of ${warm.length} one-second samples)`);
  console.log(`target ${TARGET}/s ${backlog > 0 ? `reading a backlog of ${backlog} records` : `at a producer rate of ${rate}/s`}: ratio ${(decoded / TARGET).toFixed(2)} — ${decoded >= TARGET ? 'PASS' : 'BELOW TARGET'}`);
  console.log(`page responsiveness: 50 ms timer late by median ${median(lateness).toFixed(1)} ms, p99 ${p99(lateness).toFixed(1)} ms`);
  figure('tail: records/s received and decoded in the page', Math.round(decoded), `≥ ${TARGET}`, decoded >= TARGET);
  figure('tail: 50 ms timer lateness p99 while tailing', `${p99(lateness).toFixed(1)} ms`, 'reported', null);
  // The view catches up within its refresh period: wait until the table shows every row kept.
  await page.waitForFunction(() => {
    const shown = document.querySelector('[data-testid="consume-shown"]');
    const kept = Number(shown?.dataset.kept ?? 0);
    return kept > 0 && shown.textContent.startsWith(kept.toLocaleString('en-US'));
  }, null, { timeout: 30_000 });
  const memory = await page.evaluate(() => {
    const shown = document.querySelector('[data-testid="consume-shown"]');
    return { kept: Number(shown.dataset.kept), book: Number(shown.dataset.keptBytes), wasm: window.wasmBindings.wasm_memory_bytes() };
  });
  const mb = (b) => (b / 1e6).toFixed(1);
  console.log(`rows kept: ${memory.kept} (target ≥ ${KEEP_TARGET}) — ${memory.kept >= KEEP_TARGET ? 'PASS' : 'BELOW TARGET'}`);
  figure('tail: rows kept in the page', memory.kept, `≥ ${KEEP_TARGET}`, memory.kept >= KEEP_TARGET);
  figure('tail: memory per kept row', `${Math.round(memory.book / Math.max(1, memory.kept))} B`, 'reported', null);
  console.log(`memory: the kept rows take ${mb(memory.book)} MB (${Math.round(memory.book / Math.max(1, memory.kept))} bytes/row); WASM memory ${mb(memoryBefore)} MB before the tail, ${mb(memory.wasm)} MB after (${Math.round((memory.wasm - memoryBefore) / Math.max(1, memory.kept))} bytes/row)`);
  const times = [];
  for (const change of FILTER_CHANGES) {
    const ms = await timeFilter(page, change);
    console.log(`filter: ${change.what}: ${ms === null ? 'count unchanged (not timed)' : `${ms.toFixed(1)} ms`}`);
    if (ms !== null) times.push(ms);
  }
  const slowest = Math.max(...times);
  figure(`tail: filter over ${memory.kept} rows, slowest of ${times.length}`, times.length ? `${slowest.toFixed(1)} ms` : 'not timed', `≤ ${FILTER_TARGET_MS} ms`, times.length > 0 && slowest <= FILTER_TARGET_MS);
  console.log(`filter over ${memory.kept} rows: median ${median(times).toFixed(1)} ms, max ${slowest.toFixed(1)} ms of ${times.length} changes (target ≤ ${FILTER_TARGET_MS} ms) — ${times.length && slowest <= FILTER_TARGET_MS ? 'PASS' : 'BELOW TARGET'}`);
} finally {
  await browser.close();
  await bridge.stop();
}
