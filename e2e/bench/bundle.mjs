// The page's weight: the WebAssembly and JavaScript in dist/ (built by `make frontend`), as
// served and as gzip -9 compresses them — what every attendee downloads.
//
//   node bench/bundle.mjs
//
// Target (issue 17): the WebAssembly at most 700 KB (700,000 bytes) gzipped.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { root } from '../lib/harness.mjs';
import { figure } from '../lib/figure.mjs';

const TARGET = 700_000;
const dist = join(root, 'dist');
const files = readdirSync(dist).filter((f) => /\.(wasm|js)$/.test(f));
const wasm = files.filter((f) => f.endsWith('.wasm'));
if (wasm.length !== 1) {
  console.error(`expected one .wasm in ${dist}, found ${wasm.length}: run make frontend`);
  process.exit(1);
}
let total = 0;
for (const f of files.sort()) {
  const bytes = readFileSync(join(dist, f));
  const gz = gzipSync(bytes, { level: 9 }).length;
  total += gz;
  console.log(`  ${f.padEnd(44)} ${String(bytes.length).padStart(10)} bytes ${String(gz).padStart(9)} gzipped`);
}
const gz = gzipSync(readFileSync(join(dist, wasm[0])), { level: 9 }).length;
console.log(`  all of the above gzipped: ${total} bytes`);
figure('page WebAssembly, gzipped', `${gz.toLocaleString('en-US')} bytes`, `<= ${TARGET.toLocaleString('en-US')} bytes`, gz <= TARGET);
