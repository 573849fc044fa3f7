// Page object for the playground: every selector the tests use lives here, by data-testid.

const id = (testId) => `[data-testid="${testId}"]`;
const WAIT = { timeout: 20_000 };

export class Playground {
  constructor(page) {
    this.page = page;
  }

  async open(url) {
    await this.page.goto(url);
    await this.waitConnected();
    // The editor starts with click_v1.avsc, fetched from the bridge.
    await this.page.waitForFunction((sel) => document.querySelector(sel)?.value.includes('"click"'), id('schema-editor'), WAIT);
  }

  async waitConnected() {
    await this.page.waitForFunction((sel) => /^connected/i.test(document.querySelector(sel)?.textContent.trim() ?? ''), id('connection'), WAIT);
  }

  async waitReconnecting() {
    // "reconnecting…", or "the bridge cannot be reached; retrying…" once the page found it gone.
    await this.page.waitForFunction((sel) => document.querySelector(sel)?.dataset.state === 'reconnecting', id('connection'), WAIT);
  }

  async waitServicesUp() {
    for (const service of ['kafka', 'registry', 'spark']) {
      await this.page.waitForSelector(`${id(`status-${service}`)}[data-up="true"]`, WAIT);
    }
  }

  async sectionTitles() {
    const sections = ['schema', 'produce', 'consume', 'batch', 'stream'];
    const found = [];
    for (const s of sections) {
      if (await this.page.locator(id(`section-${s}`)).count()) found.push(s);
    }
    return found;
  }

  async load(example) {
    await this.page.click(id(`load-${example}`));
  }

  editorText() {
    return this.page.inputValue(id('schema-editor'));
  }

  async setEditor(text) {
    await this.page.fill(id('schema-editor'), text);
  }

  async waitValid(valid) {
    await this.page.waitForSelector(`${id('schema-status')}[data-valid="${valid}"]`, WAIT);
  }

  schemaError() {
    return this.page.textContent(id('schema-error'));
  }

  async errorLineNumber() {
    return (await this.page.textContent(id('error-line'))).trim();
  }

  /**
   * The error's mark in the highlighted text: its line and column, the character it wraps, and
   * where it sits — `row` is the 1-based line its box lies on, measured against the gutter's
   * line numbers, `cell` the 0-based character cell, measured from the text's left edge.
   */
  async errorMark() {
    return this.page.$eval(id('error-mark'), (mark) => {
      const pre = mark.closest('pre');
      const area = pre.parentElement.querySelector('textarea');
      const box = mark.getBoundingClientRect();
      const padLeft = parseFloat(getComputedStyle(pre).paddingLeft);
      const middle = box.top + box.height / 2;
      const rows = [...document.querySelectorAll('.gutter .line-no')];
      const row = rows.findIndex((r) => { const b = r.getBoundingClientRect(); return b.top <= middle && middle < b.bottom; }) + 1;
      const [p, a] = [pre.getBoundingClientRect(), area.getBoundingClientRect()];
      return {
        line: mark.dataset.line,
        column: mark.dataset.column,
        text: mark.textContent,
        row,
        cell: (box.left - p.left - padLeft) / box.width,
        // The highlighted copy shows the editor's text, lying exactly under it.
        copiesEditor: [...pre.children].map((line) => line.textContent).join('\n') === area.value,
        aligned: Math.abs(p.left - a.left) < 0.5 && Math.abs(p.top - a.top) < 0.5,
      };
    });
  }

  /** The highlighted copy's tokens of `kind` (key, str, type, logical, num, lit, punct, other). */
  highlighted(kind) {
    return this.page.$$eval(`${id('schema-highlight')} .tok-${kind}`, (spans) => spans.map((s) => s.textContent));
  }

  /** Puts the caret at UTF-16 offset `at` of the editor (focused). */
  async caretAt(at) {
    await this.page.$eval(id('schema-editor'), (area, at) => { area.focus(); area.setSelectionRange(at, at); }, at);
  }

  /** The editor's selection and whether it has the focus. */
  editorSelection() {
    return this.page.$eval(id('schema-editor'), (area) => ({
      start: area.selectionStart, end: area.selectionEnd, focused: document.activeElement === area,
    }));
  }

  async format() {
    await this.page.click(id('format-schema'));
  }

  formatNote() {
    return this.page.textContent(id('format-note'));
  }

  async fieldNames() {
    return this.page.$$eval(`${id('field-row')} td:first-child`, (cells) => cells.map((c) => c.textContent.trim()));
  }

  async setTopic(topic) {
    await this.page.fill(id('topic'), topic);
  }

  async register() {
    await this.page.click(id('register'));
    await this.page.waitForFunction((sel) => /version \d+/.test(document.querySelector(sel)?.textContent ?? ''), id('register-result'), WAIT);
    return (await this.page.textContent(id('register-result'))).trim();
  }

  async check() {
    const before = await this.page.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, id('check-result'));
    await this.page.click(id('check'));
    await this.page.waitForFunction(
      ([sel, old]) => { const el = document.querySelector(sel); return el && el.hasAttribute('data-compatible') && el.textContent !== old; },
      [id('check-result'), before], WAIT);
    const el = this.page.locator(id('check-result'));
    return {
      compatible: (await el.getAttribute('data-compatible')) === 'true',
      text: (await el.textContent()).trim(),
      reasons: await el.locator('li').allTextContents(),
    };
  }

  async generateWire() {
    await this.page.click(id('wire-generate'));
    await this.page.waitForSelector(`${id('wire-hex')} [data-segment="magic"]`, WAIT);
    const segment = (name) => this.page.locator(`${id('wire-hex')} [data-segment="${name}"]`).first().textContent();
    return {
      magic: (await segment('magic')).trim(),
      schemaId: (await segment('schema-id')).trim(),
      body: (await segment('body')).trim(),
      decoded: (await this.page.textContent(id('wire-decoded'))).trim(),
    };
  }

  // Produce section.

  async fill(testId, value) {
    await this.page.fill(id(testId), String(value));
  }

  /** Starts a produce run with the given settings (strings or numbers, by field). */
  async produce({ topic, count, rate = '', seed = 42, poison = 1, partitions = 3, writer = 'v1' }) {
    await this.fill('produce-topic', topic);
    await this.fill('produce-count', count);
    await this.fill('produce-rate', rate);
    await this.fill('produce-seed', seed);
    await this.fill('produce-poison', poison);
    await this.fill('produce-partitions', partitions);
    await this.page.selectOption(id('produce-writer'), writer);
    await this.page.click(id('produce-start'));
    await this.page.waitForSelector(id('produce-run'), WAIT);
  }

  async number(testId) {
    const text = (await this.page.textContent(id(testId))) ?? '';
    return Number(text.replace(/[^0-9.]/g, ''));
  }

  /** Waits until the run's acknowledged counter reaches `count`; returns the summary. */
  async waitProduced(count, timeout = 120_000) {
    await this.page.waitForFunction(
      ([sel, n]) => Number(document.querySelector(sel)?.textContent.trim()) === n,
      [id('produce-acked'), count], { timeout });
    await this.page.waitForSelector(id('produce-summary'), WAIT);
    return (await this.page.textContent(id('produce-summary'))).trim();
  }

  // Consume section.

  async startTail(topic, from = 'beginning') {
    await this.fill('consume-topic', topic);
    await this.page.selectOption(id('consume-from'), from);
    await this.page.click(id('consume-start'));
    await this.page.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === 'live', id('consume-state'), WAIT);
  }

  /** Waits until the tail has received `count` records and none waits for a schema. */
  async waitReceived(count, timeout = 120_000) {
    await this.page.waitForFunction(
      ([received, waiting, n]) => Number(document.querySelector(received)?.textContent.replace(/,/g, '')) >= n
        && Number(document.querySelector(waiting)?.textContent.replace(/,/g, '')) === 0,
      [id('consume-received'), id('consume-waiting'), count], { timeout });
  }

  async tailCounts() {
    return {
      received: await this.number('consume-received'),
      decoded: await this.number('consume-decoded'),
      poison: await this.number('consume-poison'),
    };
  }

  /** Opens the first row of `kind` ('decoded' or 'poison') in the inspector. */
  async inspectFirst(kind, schemaId) {
    const which = schemaId ? `[data-schema-id="${schemaId}"]` : '';
    const row = this.page.locator(`${id('consume-row')}[data-kind="${kind}"]${which}`).first();
    await row.waitFor(WAIT);
    const place = `${await row.getAttribute('data-partition')} / ${await row.getAttribute('data-offset')}`;
    await row.click();
    await this.page.waitForFunction(([sel, p]) => document.querySelector(sel)?.textContent.trim() === p, [id('inspector-place'), place], WAIT);
    const text = async (testId) => (await this.page.locator(id(testId)).count()) ? (await this.page.textContent(id(testId))).trim() : null;
    return {
      place,
      schemaId: await text('inspector-schema-id'),
      subject: await text('inspector-subject'),
      fields: await text('inspector-fields'),
      reason: await text('inspector-reason'),
      reasonKind: (await this.page.locator(id('inspector-reason')).count()) ? await this.page.getAttribute(id('inspector-reason'), 'data-kind') : null,
      magic: (await this.page.locator(`${id('inspector-hex')} [data-segment]`).first().getAttribute('data-segment')),
    };
  }

  async filter(field, text) {
    await this.page.selectOption(id('consume-filter-field'), field);
    await this.fill('consume-filter-text', text);
  }

  async poisonOnly(on) {
    await this.page.setChecked(id('consume-poison-only'), on);
  }

  async visibleRows() {
    return this.page.locator(id('consume-row')).count();
  }

  // Batch section.

  /** Runs the batch job over `topic`; resolves when the report is drawn. */
  async runBatch(topic, { top = 10 } = {}) {
    await this.fill('batch-topic', topic);
    await this.fill('batch-top', top);
    await this.page.click(id('batch-run'));
    await this.page.waitForSelector(`${id('batch-report')}, ${id('batch-error')}`, { timeout: 300_000 });
    const failure = await this.page.locator(id('batch-error')).count();
    if (failure) throw new Error(`batch failed: ${await this.page.textContent(id('batch-error'))}`);
    const chart = this.page.locator(id('batch-minute-chart'));
    const rows = this.page.locator(id('batch-top-row'));
    const tops = [];
    for (let i = 0; i < await rows.count(); i += 1) {
      tops.push({ key: await rows.nth(i).getAttribute('data-key'), clicks: Number(await rows.nth(i).getAttribute('data-clicks')) });
    }
    return {
      recordsRead: await this.number('batch-records-read'),
      clicks: await this.number('batch-total-clicks'),
      poison: await this.number('batch-poison-total'),
      chartTotal: Number(await chart.getAttribute('data-total')),
      chartMinutes: Number(await chart.getAttribute('data-minutes')),
      bars: await chart.locator('rect.bar').count(),
      tops,
      pillRows: await this.page.locator(id('batch-pill')).count(),
      stages: await this.page.locator(`${id('batch-stages')} li`).allTextContents(),
    };
  }

  // Stream section.

  async startStream(topic, { window = 60, watermark = 30, trigger = 'processing' } = {}) {
    await this.fill('stream-topic', topic);
    await this.fill('stream-window', window);
    await this.fill('stream-watermark', watermark);
    await this.page.selectOption(id('stream-trigger'), trigger);
    await this.page.click(id('stream-start'));
    await this.page.waitForFunction((sel) => document.querySelector(sel)?.textContent.trim() === 'running', id('stream-state'), WAIT);
  }

  /** Waits until the clicks in windows exceed `above`; returns the new total. */
  async waitStreamTotal(above, timeout = 180_000) {
    await this.page.waitForFunction(
      ([sel, n]) => Number(document.querySelector(sel)?.textContent) > n, [id('stream-total'), above], { timeout });
    return this.number('stream-total');
  }

  async stopStream() {
    await this.page.click(id('stream-stop'));
    await this.page.waitForFunction((sel) => ['ended', 'failed'].includes(document.querySelector(sel)?.textContent.trim()), id('stream-state'), { timeout: 120_000 });
    return (await this.page.textContent(id('stream-state'))).trim();
  }
}

// Workshop mode: an attendee's page (the join form, the header, the steps and the instructor's
// banners) and the instructor's desk.

export class Attendee extends Playground {
  /** Opens the page and waits for the join form (the playground stays hidden until joined). */
  async openToJoin(url) {
    await this.page.goto(url);
    await this.waitConnected();
    await this.page.waitForSelector(id('join-form'), WAIT);
  }

  /** Types `name` and presses Join; does not wait for the outcome. */
  async submitName(name) {
    await this.page.fill(id('join-name'), name);
    await this.page.click(id('join-submit'));
  }

  /** Joins as `name` and waits for the header and the playground's editor. */
  async join(name) {
    await this.submitName(name);
    await this.page.waitForSelector(id('attendee-bar'), WAIT);
    await this.page.waitForFunction((sel) => document.querySelector(sel)?.value.includes('"click"'), id('schema-editor'), WAIT);
  }

  async header() {
    const text = async (testId) => (await this.page.textContent(id(testId))).trim();
    return { name: await text('attendee-name'), prefix: await text('attendee-prefix'), limits: await text('attendee-limits') };
  }

  async joinError() {
    await this.page.waitForSelector(id('join-error'), WAIT);
    return (await this.page.textContent(id('join-error'))).trim();
  }

  /** 'unchecked', 'done' or 'not-done'. */
  stepStatus(step) {
    return this.page.getAttribute(id(`step-${step}-status`), 'data-status');
  }

  async checkStep(step, answer) {
    if (answer !== undefined) await this.fill(`step-${step}-answer`, answer);
    await this.page.click(id(`step-check-${step}`));
  }

  /** Waits until step `step` shows `status`; returns its summary. */
  async waitStep(step, status, timeout = 60_000) {
    await this.page.waitForSelector(`${id(`step-${step}-status`)}[data-status="${status}"]`, { timeout });
    return (await this.page.textContent(id(`step-${step}-summary`))).trim();
  }

  async waitBroadcast(text) {
    await this.page.waitForFunction(
      ([sel, t]) => [...document.querySelectorAll(sel)].some((b) => b.textContent.includes(t)), [id('broadcast-banner'), text], WAIT);
    return this.page.locator(id('broadcast-banner')).allTextContents();
  }
}

export class Instructor {
  constructor(page) {
    this.page = page;
  }

  /** Opens the desk at `url` with `key` in the hash. */
  async open(url, key) {
    const at = new URL(url);
    at.hash = `instructor=${encodeURIComponent(key)}`;
    await this.page.goto(at.toString());
  }

  /** Opens the desk at the link the bridge printed. */
  async openLink(link) {
    await this.page.goto(link);
  }

  async waitSeated() {
    await this.page.waitForSelector(id('instructor-roster'), WAIT);
  }

  async refusal() {
    await this.page.waitForSelector(id('instructor-error'), WAIT);
    return (await this.page.textContent(id('instructor-error'))).trim();
  }

  async retryWith(key) {
    await this.page.fill(id('instructor-key'), key);
    await this.page.click(id('instructor-retry'));
  }

  /** Waits for `name`'s row with step `step` marked `status`; returns the row's facts. */
  async waitAttendeeStep(name, step, status, timeout = 30_000) {
    const cell = id(`instructor-step-${name}-${step}`);
    await this.page.waitForSelector(`${cell}[data-status="${status}"]`, { timeout });
    const row = this.page.locator(id(`instructor-row-${name}`));
    return {
      connected: await row.getAttribute('data-connected'),
      done: (await this.page.textContent(id(`instructor-done-${name}`))).trim(),
      tooltip: await this.page.getAttribute(cell, 'title'),
    };
  }

  async broadcast(message) {
    await this.page.fill(id('broadcast-input'), message);
    await this.page.click(id('broadcast-send'));
    await this.page.waitForSelector(`${id('broadcast-status')}, ${id('broadcast-error')}`, WAIT);
    if (await this.page.locator(id('broadcast-error')).count()) {
      throw new Error(`broadcast failed: ${await this.page.textContent(id('broadcast-error'))}`);
    }
  }
}
