// Live-tail benchmark: how many records per second the page keeps up with — every record
// received, decoded in WASM and counted — while `kafka-demo produce` writes at a steady rate,
// and whether the page stays responsive meanwhile. Runs against the shared test stack.
//
//   node bench/tail.mjs [--rate 60000] [--seconds 20]
//
// Prints the producer's rate, the page's sustained receive and decode rates (median of 1-second
// samples once the tail is warm), the ratio to the target (50,000 records/s) and the page's
// responsiveness (median and p99 delay of a timer that should fire every 50 ms).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { ensureStack, launchBrowser, root, stackFlags, startBridge, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const TARGET = 50_000;
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const rate = flag('rate', 60_000);
const seconds = flag('seconds', 20);
const bin = process.env.KAFKA_DEMO_BIN ?? join(root, 'target', 'debug', 'kafka-demo');

function produce(topic) {
  const child = spawn(bin, [...stackFlags(), 'produce', '--topic', topic, '--rate', String(rate),
    '--duration', `${seconds}s`, '--seed', '5', '--partitions', '3'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return new Promise((done, fail) => child.on('exit', (code) => (code === 0 ? done(out) : fail(new Error(`produce exited ${code}:\n${out}`)))));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : 0; };
const p99 = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.min(s.length - 1, Math.floor(s.length * 0.99))] : 0; };

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
  await ui.startTail(topic, 'end');
  // A timer in the page that should fire every 50 ms: its lateness is the page's unresponsiveness.
  await page.evaluate(() => {
    window.__lateness = [];
    let last = performance.now();
    window.__timer = setInterval(() => { const now = performance.now(); window.__lateness.push(now - last - 50); last = now; }, 50);
  });
  const producing = produce(topic);
  const samples = [];
  let previous = await ui.tailCounts();
  let previousAt = Date.now();
  for (let i = 0; i < seconds + 5; i += 1) {
    await new Promise((r) => setTimeout(r, 1000));
    const now = await ui.tailCounts();
    const at = Date.now();
    samples.push({ received: (now.received - previous.received) * 1000 / (at - previousAt), decoded: (now.decoded - previous.decoded) * 1000 / (at - previousAt) });
    previous = now;
    previousAt = at;
  }
  const produced = await producing;
  const lateness = await page.evaluate(() => { clearInterval(window.__timer); return window.__lateness; });
  const final = await ui.tailCounts();
  // Warm samples: skip the first two seconds and the idle tail after the producer stopped.
  const warm = samples.slice(2, seconds).filter((s) => s.received > 0);
  const received = median(warm.map((s) => s.received));
  const decoded = median(warm.map((s) => s.decoded));
  console.log(`producer: ${produced.trim().split('\n').filter((l) => /records\/s|acknowledged|sent/.test(l)).slice(-1)[0] ?? '(see above)'}`);
  console.log(`page: ${final.received} records received, ${final.decoded} decoded, ${final.poison} poison pills`);
  console.log(`page sustained: ${Math.round(received)} received/s, ${Math.round(decoded)} decoded/s (median of ${warm.length} one-second samples)`);
  console.log(`target ${TARGET}/s at a producer rate of ${rate}/s: ratio ${(decoded / TARGET).toFixed(2)} — ${decoded >= TARGET ? 'PASS' : 'BELOW TARGET'}`);
  console.log(`page responsiveness: 50 ms timer late by median ${median(lateness).toFixed(1)} ms, p99 ${p99(lateness).toFixed(1)} ms`);
} finally {
  await browser.close();
  await bridge.stop();
}
