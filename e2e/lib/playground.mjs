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
    await this.page.waitForFunction((sel) => /reconnecting/i.test(document.querySelector(sel)?.textContent ?? ''), id('connection'), WAIT);
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
}
