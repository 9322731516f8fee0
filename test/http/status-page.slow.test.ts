import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { createWorkflowServer, type WorkflowServer } from '../../src';
import * as hello from '../../src/workflows/hello';
import { memoryLogger } from '../helpers/memory-logger';

/** Debian's package; `.ci/run` installs it with apt when missing. */
const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', 'test-output', 'screenshots');

describe('the status page in a real browser (headless Chromium)', () => {
  let server: WorkflowServer;
  let browser: BrowserContext;
  let profile: string;
  let port: number;

  beforeAll(async () => {
    server = createWorkflowServer({
      logger: memoryLogger().logger,
      workflows: { hello },
      config: {
        workflowToken: 'tok-0123456789abcdef-secret',
        herokuReleaseVersion: 'v42',
        herokuSlugCommit: '2c3a0b1d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b',
      },
    });
    port = (await server.listen(0, '127.0.0.1')).port;
    profile = mkdtempSync(join(tmpdir(), 'relay-chromium-'));
    // A fresh profile per run (Playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      extraHTTPHeaders: { 'X-Forwarded-Proto': 'https' },
      viewport: { width: 1000, height: 900 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-quic',
        '--no-first-run',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close(0);
    if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
  });

  it('shows a person the workflow URL and the relay command, as Heroku would serve it', async () => {
    const page = await browser.newPage();
    // Heroku's router passes the app's host name in Host; here the browser asks for the local port.
    const response = await page.goto(`http://127.0.0.1:${port}/`);
    expect(response?.status()).toBe(200);
    expect(await page.locator('h1').innerText()).toBe('relay-heroku-workflows');
    const card = page.locator('#workflow-hello');
    expect(await card.locator('code.url').innerText()).toBe(`wss://127.0.0.1:${port}/hello?token=<WORKFLOW_TOKEN>`);
    expect(await card.locator('pre.command').innerText()).toBe(
      `relay workflow:create:phrase --name hello --uri 'wss://127.0.0.1:${port}/hello?token=<WORKFLOW_TOKEN>' --trigger hello --arg greeting=Hello -i '<device id>'`,
    );
    expect(await page.locator('.note', { hasText: 'requires a token' }).innerText()).toContain(
      'heroku config:get WORKFLOW_TOKEN',
    );
    // Served from 127.0.0.1: the page says Relay cannot reach this address.
    expect(await page.locator('.note', { hasText: 'Relay cannot reach' }).count()).toBe(1);
    expect(await page.locator('body').innerText()).not.toContain('tok-0123456789abcdef-secret');
    expect(await page.locator('dl.facts').innerText()).toMatch(/Heroku release\s+v42/i);
    mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOTS, 'status-page.png'), fullPage: true });
    await page.close();
  });

  it('locally, without token or dyno metadata: ws:// URLs, a plain command and the metadata hint', async () => {
    const local = createWorkflowServer({ logger: memoryLogger().logger, workflows: { hello } });
    const { port: localPort } = await local.listen(0, '127.0.0.1');
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${localPort}/`);
      const card = page.locator('#workflow-hello');
      // The context sends X-Forwarded-Proto: https, so the scheme is wss; the host is what the browser asked for.
      expect(await card.locator('code.url').innerText()).toBe(`wss://localhost:${localPort}/hello`);
      expect(await card.locator('pre.command').innerText()).toBe(
        `relay workflow:create:phrase --name hello --uri wss://localhost:${localPort}/hello --trigger hello --arg greeting=Hello -i '<device id>'`,
      );
      expect(await page.locator('body').innerText()).toContain('heroku labs:enable runtime-dyno-metadata');
      // Local, and open: the two notes a person needs (Relay cannot reach it; anyone can open a session).
      const notes = await page.locator('.note').allInnerTexts();
      expect(notes).toHaveLength(2);
      expect(notes.join('\n')).toContain('Relay cannot reach');
      expect(notes.join('\n')).toContain('heroku config:set WORKFLOW_TOKEN=$(openssl rand -hex 32)');
      await page.screenshot({ path: join(SCREENSHOTS, 'status-page-open.png'), fullPage: true });
      await page.close();
    } finally {
      await local.close(0);
    }
  });
});
