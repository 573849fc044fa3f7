// Every benchmark of kafka-demo in one go, on the shared test stack: each prints its rates and
// its ratios, measured within its own run, and one `figure | …` line per figure issue 17 sets a
// target for; the table at the end gathers those lines with their verdicts.
//
//   node bench/all.mjs            (from e2e/; `make bench` builds what it needs first)
//
//  1. page weight              bench/bundle.mjs                  WebAssembly ≤ 700,000 bytes gzipped
//  2. encoder alone            kafka-demo-bench encode
//  3. produce vs pre-encoded   kafka-demo-bench produce
//  4. produce vs Kafka's tool  kafka-demo-bench produce-vs-java  ≥ 1.5× tuned Java, p99 no higher
//  5. decode, WASM vs native   bench/decode.mjs                  ≥ 0.8
//  6. live tail in the page    bench/tail.mjs                    ≥ 100,000 rows kept, ≥ 100k records/s, filter ≤ 100 ms
//  7. Spark batch              kafka-demo-bench batch            ≥ 0.7 of a plain count
//  8. streaming latency        kafka-demo-bench stream           p99 ≤ 1.0 s at 10k events/s
//  9. workshop load            kafka-demo-bench workshop         50 attendees, p99 ≤ 250 ms, memory
// 10. CI                       .ci/run's last timing, when this machine has one   ≤ 30 min
//
// A step that fails is reported as such in the table and the others still run.

import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ensureStack, root, stackFlags } from '../lib/harness.mjs';
import { figureLine } from '../lib/figure.mjs';

const release = (name) => join(root, 'target', 'release', name);
const env = { ...process.env, KAFKA_DEMO_BIN: process.env.KAFKA_DEMO_BIN ?? release('kafka-demo') };
const figures = [];
const failed = [];

function step(title, file, args) {
  console.log(`\n=== ${title} ===`);
  const run = spawnSync(file, args, {
    cwd: join(root, 'e2e'), env, stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 64 << 20,
  });
  process.stdout.write(run.stdout ?? '');
  for (const line of (run.stdout ?? '').split('\n')) {
    if (line.startsWith('figure | ')) figures.push(line);
  }
  if (run.status !== 0) {
    failed.push(title);
    figures.push(figureLine(`${title} (the step failed: exit ${run.status ?? run.signal})`, '-', '-', false));
  }
}

const started = Date.now();
const machine = () => {
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  const mem = readFileSync('/proc/meminfo', 'utf8').match(/MemTotal:\s+(\d+)/);
  return `${cpus} cores, ${mem ? Math.round(Number(mem[1]) / 1048576) : '?'} GiB, load average ${load}`;
};
console.log(`machine: ${machine()}`);

ensureStack();
const bench = release('kafka-demo-bench');
step('page weight', process.execPath, ['bench/bundle.mjs']);
step('encoder alone', bench, ['encode']);
step('produce: encoding on the fly vs pre-encoded bytes', bench, [...stackFlags(), 'produce']);
step("produce: kafka-demo vs Kafka's ProducerPerformance", bench, [...stackFlags(), 'produce-vs-java', '--count', '1000000', '--rounds', '3']);
step('decode: WASM in Chromium vs native', process.execPath, ['bench/decode.mjs']);
step('live tail in the page', process.execPath, ['bench/tail.mjs']);
step('Spark batch: decode and aggregate vs a plain count', bench, [...stackFlags(), 'batch']);
step('Spark streaming: end-to-end latency at 10k events/s', bench, [...stackFlags(), 'stream']);
step('workshop: 50 attendees producing and tailing, request latency', bench, [...stackFlags(), 'workshop', '--attendees', '50']);

// CI's time is measured by CI itself: .ci/run writes its phases to target/ci-times.txt.
const ciTimes = join(root, 'target', 'ci-times.txt');
if (existsSync(ciTimes)) {
  const text = readFileSync(ciTimes, 'utf8');
  const total = text.match(/^total (\d+)/m);
  console.log(`\n=== CI (last .ci/run on this machine) ===\n${text.trim()}`);
  if (total) {
    const s = Number(total[1]);
    figures.push(figureLine('CI, .ci/run (last run on this machine)', `${(s / 60).toFixed(1)} min`, '<= 30 min on a fresh machine', s <= 1800));
  }
} else {
  figures.push(figureLine('CI, .ci/run', 'not run on this machine', '<= 30 min on a fresh machine', null));
}

console.log(`\n=== figures (${((Date.now() - started) / 60000).toFixed(1)} min; ${machine()}) ===`);
const rows = figures.map((l) => l.split(' | ').slice(1));
const width = (i) => Math.max(...rows.map((r) => (r[i] ?? '').length));
for (const r of rows) {
  console.log(`${r[0].padEnd(width(0))}  ${r[1].padEnd(width(1))}  ${r[2].padEnd(width(2))}  ${r[3]}`);
}
if (failed.length) {
  console.log(`\nsteps that failed: ${failed.join('; ')}`);
  process.exit(1);
}
