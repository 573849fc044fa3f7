// The schema step, entirely by clicking, in headless Chromium against the real bridge and stack:
// break the schema the way the seed did, see where, fix it, register it, check an evolution and
// an incompatible candidate, and look at a record in the wire format.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { playgroundSuite, screenshots, startBridge, testPort, unique } from '../lib/harness.mjs';
import { Playground } from '../lib/playground.mjs';

const suite = playgroundSuite();

test('the schema step works end to end by clicking', async () => {
  const shots = screenshots('schema-step');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const ui = new Playground(page);
  const started = Date.now();
  await ui.open(suite.bridge.url);
  const interactive = await page.evaluate(() => performance.now());
  console.log(`time to interactive: ${Math.round(interactive)} ms (test clock ${Date.now() - started} ms)`);
  assert.deepEqual(await ui.sectionTitles(), ['schema', 'produce', 'consume', 'batch', 'stream']);
  await ui.waitServicesUp();
  await shots.shot(page, 'loaded');

  // The seed's text: a trailing comma after the last field, reported at the comma itself.
  await ui.load('seed');
  await ui.waitValid(false);
  const error = await ui.schemaError();
  assert.match(error, /line 17, column 43: trailing comma after the last field/);
  assert.equal(await ui.errorLineNumber(), '17');
  await shots.shot(page, 'seed-error');

  // Fix it the way a person would: remove the comma.
  const seed = await ui.editorText();
  const fixed = seed.replace(/"float" \},(\s*\])/, '"float" }$1');
  assert.notEqual(fixed, seed);
  await ui.setEditor(fixed);
  await ui.waitValid(true);
  assert.deepEqual(await ui.fieldNames(), [
    'id', 'impression_id', 'creative_id', 'placement_id', 'timestamp', 'user_agent', 'ip', 'referrer', 'cost',
  ]);
  await shots.shot(page, 'fixed');

  const topic = unique('e2e-clicks');
  await ui.setTopic(topic);
  const registered = await ui.register();
  assert.match(registered, new RegExp(`${topic}-value`));
  assert.match(registered, /version 1\b/);
  assert.match(registered, /id \d+/);
  await shots.shot(page, 'registered');

  await ui.load('v2');
  await ui.waitValid(true);
  const v2 = await ui.check();
  assert.equal(v2.compatible, true, v2.text);
  await shots.shot(page, 'v2-compatible');

  await ui.load('incompatible');
  await ui.waitValid(true);
  const bad = await ui.check();
  assert.equal(bad.compatible, false, bad.text);
  assert.ok(bad.reasons.some((r) => r.includes('campaign_id')), bad.reasons.join('\n'));
  await shots.shot(page, 'incompatible');

  await ui.load('v1');
  await ui.waitValid(true);
  const wire = await ui.generateWire();
  assert.equal(wire.magic.replace(/\s/g, ''), '00');
  assert.match(wire.schemaId.replace(/\s/g, ''), /^[0-9a-f]{8}$/i);
  assert.ok(wire.body.length > 0);
  assert.match(wire.decoded, /"impression_id"/);
  await shots.shot(page, 'wire-format');
  console.log(`screenshots: ${shots.dir}`);
  await page.close();
});

test('the editor highlights, marks the error where it is, indents with Tab and formats', async () => {
  const shots = screenshots('schema-editor');
  const page = await suite.browser.newPage({ viewport: { width: 1400, height: 1000 } });
  const ui = new Playground(page);
  await ui.open(suite.bridge.url);

  // Avro and JSON in colour.
  assert.ok((await ui.highlighted('key')).includes('"fields"'));
  assert.ok((await ui.highlighted('type')).includes('"record"'));
  assert.ok((await ui.highlighted('logical')).includes('"timestamp-millis"'));
  assert.ok((await ui.highlighted('str')).includes('"com.example"'));
  assert.ok((await ui.highlighted('punct')).includes('{'));

  // The seed's trailing comma: named in words, marked in the text, its line marked in the gutter.
  await ui.load('seed');
  await ui.waitValid(false);
  assert.match(await ui.schemaError(), /^line 17, column 43: trailing comma after the last field$/);
  assert.equal(await ui.errorLineNumber(), '17');
  const mark = await ui.errorMark();
  assert.deepEqual(
    { line: mark.line, column: mark.column, text: mark.text, row: mark.row, copiesEditor: mark.copiesEditor, aligned: mark.aligned },
    { line: '17', column: '43', text: ',', row: 17, copiesEditor: true, aligned: true },
  );
  assert.ok(Math.abs(mark.cell - 42) < 0.05, `the mark is in character cell ${mark.cell}, not 42`);
  await page.locator('.editor').screenshot({ path: join(shots.dir, 'seed-error-marked.png') });
  await shots.shot(page, 'seed-error-marked');

  // Format refuses broken JSON and says why, leaving the text alone.
  const seed = await ui.editorText();
  await ui.format();
  assert.equal(await ui.formatNote(), 'Format needs valid JSON: line 17, column 43: trailing comma after the last field');
  assert.equal(await ui.editorText(), seed);

  // Tab indents by two spaces at the caret, Shift+Tab takes them back, undo too.
  const fixed = seed.replace(/"float" \},(\s*\])/, '"float" }$1');
  await ui.setEditor(fixed);
  await ui.waitValid(true);
  const line2 = fixed.indexOf('\n') + 1;
  await ui.caretAt(line2);
  await page.keyboard.press('Tab');
  assert.equal(await ui.editorText(), `${fixed.slice(0, line2)}  ${fixed.slice(line2)}`);
  assert.deepEqual(await ui.editorSelection(), { start: line2 + 2, end: line2 + 2, focused: true });
  await page.keyboard.press('Shift+Tab');
  assert.equal(await ui.editorText(), fixed);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Control+z');
  assert.equal(await ui.editorText(), fixed, 'undo takes the indentation back');
  // Escape, then Tab: the focus leaves the editor and the text stays as it was.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Tab');
  assert.equal((await ui.editorSelection()).focused, false);
  assert.equal(await ui.editorText(), fixed);

  // Format lays a valid but ragged schema out, keys in their order, short containers on a line.
  await ui.setEditor([
    '{"type":"record","name":"t","namespace":"com.example",',
    '        "fields":[{"name":"a","type":"string"},',
    '{"name":"at","doc":"when","type":{"type":"long","logicalType":"timestamp-millis"}},',
    '   {"name":"tags","type":{"type":"array","items":"string"}}]}',
  ].join('\n'));
  await ui.waitValid(true);
  await ui.format();
  assert.equal(await ui.editorText(), [
    '{',
    '  "type": "record",',
    '  "name": "t",',
    '  "namespace": "com.example",',
    '  "fields": [',
    '    { "name": "a", "type": "string" },',
    '    {',
    '      "name": "at",',
    '      "doc": "when",',
    '      "type": { "type": "long", "logicalType": "timestamp-millis" }',
    '    },',
    '    { "name": "tags", "type": { "type": "array", "items": "string" } }',
    '  ]',
    '}',
    '',
  ].join('\n'));
  await ui.waitValid(true);
  await ui.format();
  assert.equal(await ui.formatNote(), 'already formatted');
  await shots.shot(page, 'formatted');

  // A schema of a few hundred lines stays quick to type in: each key re-highlights all of it.
  const fields = Array.from({ length: 400 }, (_, i) => `    { "name": "f${i}", "type": ["null", "long"], "doc": "field ${i}" }`);
  const long = `{\n  "type": "record",\n  "name": "wide",\n  "fields": [\n${fields.join(',\n')}\n  ]\n}\n`;
  await ui.setEditor(long);
  await ui.waitValid(true);
  await ui.caretAt(long.indexOf('field 200') + 'field 200'.length);
  const typing = Date.now();
  await page.keyboard.type(' and more', { delay: 0 });
  await page.waitForFunction(() => {
    const area = document.querySelector('[data-testid="schema-editor"]');
    const lines = [...document.querySelector('[data-testid="schema-highlight"]').children].map((line) => line.textContent);
    return area.value.includes('field 200 and more') && lines.join('\n') === area.value;
  }, null, { timeout: 20_000 });
  console.log(`typing in a ${long.split('\n').length}-line schema: ${Math.round((Date.now() - typing) / 9)} ms a key, highlighted`);
  assert.equal((await ui.highlighted('type')).length, 801);
  await page.close();
});

test('a page from another origin cannot open the WebSocket', async () => {
  const page = await suite.browser.newPage();
  const wsUrl = suite.bridge.url.replace(/^http/, 'ws').replace(/\/?(\?.*)?$/, '/ws');
  const attempt = (url) => new Promise((done) => {
    const socket = new WebSocket(url);
    socket.onopen = () => { socket.close(); done('open'); };
    socket.onerror = () => done('refused');
  });
  await page.goto(suite.bridge.url);
  assert.equal(await page.evaluate(attempt, wsUrl), 'open', 'the page itself connects');
  await page.goto('data:text/html,<title>elsewhere</title>');
  assert.equal(await page.evaluate(attempt, wsUrl), 'refused', 'a foreign page is refused');
  await page.close();
});

test('the page reconnects by itself after a bridge restart and says so', async () => {
  const shots = screenshots('reconnect');
  // A fixed port below the ephemeral range: the page retries it while the bridge is gone.
  const own = await startBridge({ port: testPort(55) });
  const page = await suite.browser.newPage();
  const ui = new Playground(page);
  await ui.open(own.url);
  await own.stop();
  await ui.waitReconnecting();
  await shots.shot(page, 'bridge-gone');
  const again = await startBridge({ port: own.port });
  try {
    await ui.waitConnected();
    await shots.shot(page, 'reconnected');
  } finally {
    await page.close();
    await again.stop();
  }
});
