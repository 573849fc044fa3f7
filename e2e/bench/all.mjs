// Every benchmark of kafka-demo in one go, on the shared test stack: each prints its rates and
// its ratio to its target, measured within its own run.
//
//   node bench/all.mjs            (from e2e/; `make bench` builds what it needs first)
//
// 1. encoder alone            kafka-demo-bench encode
// 2. produce vs pre-encoded   kafka-demo-bench produce        target ≥ 0.85
// 3. decode, WASM vs native   bench/decode.mjs                target ≥ 0.8
// 4. live tail in the page    bench/tail.mjs                  target ≥ 100,000 records/s, filter ≤ 100 ms
// 5. Spark batch              kafka-demo-bench batch          target ≥ 0.5 of a plain count
// 6. streaming latency        kafka-demo-bench stream         target p99 ≤ 1.5 s at 10k/s
// 7. workshop load            kafka-demo-bench workshop       target p99 ≤ 250 ms, 20 attendees

import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ensureStack, root, stackFlags } from '../lib/harness.mjs';

const release = (name) => join(root, 'target', 'release', name);
const env = { ...process.env, KAFKA_DEMO_BIN: process.env.KAFKA_DEMO_BIN ?? release('kafka-demo') };

function step(title, file, args) {
  console.log(`\n=== ${title} ===`);
  execFileSync(file, args, { cwd: join(root, 'e2e'), env, stdio: 'inherit' });
}

ensureStack();
step('encoder alone', release('kafka-demo-bench'), ['encode']);
step('produce: encoding on the fly vs pre-encoded bytes', release('kafka-demo-bench'), [...stackFlags(), 'produce']);
step('decode: WASM in Chromium vs native', process.execPath, ['bench/decode.mjs']);
step('live tail in the page', process.execPath, ['bench/tail.mjs']);
step('Spark batch: decode and aggregate vs a plain count', release('kafka-demo-bench'), [...stackFlags(), 'batch']);
step('Spark streaming: end-to-end latency at 10k events/s', release('kafka-demo-bench'), [...stackFlags(), 'stream']);
step('workshop: 20 attendees producing and tailing, request latency', release('kafka-demo-bench'), [...stackFlags(), 'workshop']);
