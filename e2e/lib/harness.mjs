// Test harness for the browser tests: the shared test stack (same ports and folder as the Rust
// integration tests in cli/tests/common), a real `kafka-demo serve` per test, and Debian's
// Chromium driven by playwright-core. Screenshots go under e2e/artifacts/<test>/.

import { spawn, execFileSync } from 'node:child_process';
import { after, before } from 'node:test';
import { mkdirSync, realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const artifactsRoot = join(root, 'e2e', 'artifacts');
const bin = process.env.KAFKA_DEMO_BIN ?? join(root, 'target', 'debug', 'kafka-demo');
// Same ports as cli/tests/common: 24000, moved by KAFKA_DEMO_TEST_PORT_OFFSET.
const portBase = 24000 + Number(process.env.KAFKA_DEMO_TEST_PORT_OFFSET ?? 0);

/** Port `n` of this run's test range (24000 + n, moved by KAFKA_DEMO_TEST_PORT_OFFSET). */
export function testPort(n) {
  return portBase + n;
}

/**
 * `target/tmp`, symbolic links resolved: the stack knows its services by the data folder's path
 * in their command lines, so the path must be the one they were started with.
 */
function testTmp() {
  const tmp = join(root, 'target', 'tmp');
  try {
    return realpathSync(tmp);
  } catch {
    return tmp;
  }
}

/** Global flags selecting the shared test stack. */
export function stackFlags() {
  const cache = process.env.KAFKA_DEMO_CACHE_DIR ?? join(homedir(), '.kafka-demo', 'cache');
  return [
    // The test stack's Spark Connect server requires this token (cli/tests/common SPARK_TOKEN).
    '--spark-token', 'kafka-demo-test-token',
    '--data-dir', join(testTmp(), 'kafka-demo-test-stack-shared'),
    '--cache-dir', cache,
    '--kafka-port', String(portBase + 92),
    '--kafka-controller-port', String(portBase + 93),
    '--registry-port', String(portBase + 81),
    '--registry-management-port', String(portBase + 82),
    '--spark-port', String(portBase + 2),
  ];
}

/**
 * Global flags selecting the test cluster (cli/tests/common CLUSTER: base port 26000, moved by
 * KAFKA_DEMO_TEST_PORT_OFFSET), its clients configured by the profile `stack up --cluster` writes.
 */
export function clusterFlags() {
  const cache = process.env.KAFKA_DEMO_CACHE_DIR ?? join(homedir(), '.kafka-demo', 'cache');
  return [
    '--data-dir', join(testTmp(), 'kafka-demo-test-cluster'),
    '--cache-dir', cache,
    '--cluster-base-port', String(portBase + 2000),
    '--cluster=local-cluster',
  ];
}

/** Environment for the binary: nothing of the caller's KAFKA_DEMO_* settings leaks in. */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KAFKA_DEMO_')));
}

/** Runs `kafka-demo <stack flags> ...args` to its end; resolves with what it printed on stdout. */
export function kafkaDemo(args, { timeout = 120_000, flags = stackFlags() } = {}) {
  return execFileSync(bin, [...flags, ...args], {
    cwd: root, env: cleanEnv(), encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout, stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Brings the test stack up; a no-op when it already runs. */
export function ensureStack() {
  execFileSync(bin, [...stackFlags(), 'stack', 'up'], { cwd: root, env: cleanEnv(), stdio: ['ignore', 'inherit', 'inherit'], timeout: 600_000 });
}

/**
 * Starts `kafka-demo serve` and resolves once it prints its URL (and, with `workshop`, the
 * instructor's link as `instructorUrl`). `workshop` adds `--workshop`, `instructorKey` adds
 * `--instructor-key`; a workshop keeps its room in `roomFile` when given (a bridge started again
 * on it finds the room), else starts with an empty one; `flags` select the stack
 * (the shared test stack's by default) and `globalArgs` follow them before `serve` (e.g.
 * `--config FILE --cluster NAME`). The bridge it resolves with has `stop()`
 * (SIGTERM) and `kill()` (SIGKILL).
 */
export function startBridge({ port = 0, token, workshop = false, instructorKey, roomFile, flags = stackFlags(), globalArgs = [] } = {}) {
  const args = [...flags, ...globalArgs, 'serve', '--port', String(port), '--dist', join(root, 'dist')];
  if (token) args.push('--token', token);
  if (workshop) args.push('--workshop', ...(roomFile ? ['--room-file', roomFile] : ['--new-room']));
  if (instructorKey) args.push('--instructor-key', instructorKey);
  const child = spawn(bin, args, { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d) => { log += d; });
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`bridge did not start within 30s:\n${log}`)), 30_000);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const match = out.match(/kafka-demo playground: (\S+)/);
      const instructor = out.match(/instructor view: (\S+)/);
      if (match && (!workshop || instructor)) {
        clearTimeout(timer);
        const url = new URL(match[1]);
        resolvePromise({
          url: match[1],
          instructorUrl: instructor?.[1],
          port: Number(url.port),
          stop: () => stopChild(child),
          kill: () => stopChild(child, 'SIGKILL'),
        });
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`bridge exited with ${code}:\n${log}`)); });
  });
}

/** Stops the bridge with `signal` (SIGKILL: no chance to close its sockets or jobs). */
function stopChild(child, signal = 'SIGTERM') {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done();
    child.removeAllListeners('exit');
    child.once('exit', () => done());
    child.kill(signal);
  });
}

/** Debian's Chromium, headless, with nothing reaching out to the network. */
export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}

/** A numbered-screenshot taker for one test. */
export function screenshots(testName) {
  const dir = join(artifactsRoot, testName);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  let n = 0;
  return {
    dir,
    async shot(page, step) {
      n += 1;
      await page.screenshot({ path: join(dir, `${String(n).padStart(2, '0')}-${step}.png`), fullPage: true });
    },
    /**
     * A picture of the element with test id `testId`, named `name`; with KAFKA_DEMO_DOC_SHOTS=1
     * it also replaces docs/screenshots/`name`.png, the README's pictures of the steps.
     */
    async section(page, testId, name) {
      const element = page.getByTestId(testId);
      await element.scrollIntoViewIfNeeded();
      await element.screenshot({ path: join(dir, `${name}.png`) });
      if (process.env.KAFKA_DEMO_DOC_SHOTS === '1') {
        const docs = join(root, 'docs', 'screenshots');
        mkdirSync(docs, { recursive: true });
        await element.screenshot({ path: join(docs, `${name}.png`) });
      }
    },
  };
}

/** A name no earlier run used. */
export function unique(prefix) {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}`;
}

/**
 * The usual setup of a test file: the stack up, one bridge and one browser before its tests,
 * both closed after them. The returned object's `bridge` and `browser` are set once `before` ran.
 * `options` go to `startBridge` (e.g. `{ workshop: true, instructorKey: 'k' }`).
 */
export function playgroundSuite(options = {}) {
  const suite = { bridge: null, browser: null };
  before(async () => {
    ensureStack();
    suite.bridge = await startBridge(options);
    suite.browser = await launchBrowser();
  });
  after(async () => {
    await suite.browser?.close();
    await suite.bridge?.stop();
  });
  return suite;
}
