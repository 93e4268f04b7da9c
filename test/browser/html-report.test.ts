// The HTML report of a real audit, opened in a real browser: a connection-per-request leak from its own
// loopback "host", named with a hostile client name, audited in-process and rendered; Debian's Chromium
// (driven by playwright-core) must show the leak and the name as text, run no script and fetch nothing.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedis, type LocalRedisServer } from '../../cli/demo/local-redis-server.js';
import { perRequestLeak, type WorkloadHandle } from '../../cli/demo/workload.js';
import { renderHtmlReport } from '../../lambda/core/html-report.js';
import { defaultPolicy } from '../../lambda/core/model.js';
import type { AuditReport } from '../../lambda/core/report.js';
import { runAudit } from '../../lambda/run-audit.js';
import { parseTargetUrl } from '../../lambda/redis/target-url.js';
import { fastClock, waitForIdle } from '../support/wait.js';

const CHROMIUM = '/usr/bin/chromium';
const LEAK = '127.0.0.71';
const HOSTILE = '<img/src=x/onerror=alert(1)>';
/** Kept after the run for a person to look at (the screenshots and the page). */
const ARTIFACTS = join(tmpdir(), 'redis-leak-auditor-browser');

let server: LocalRedisServer | undefined;
let leak: WorkloadHandle | undefined;
let browser: Browser | undefined;
let page: Page;
let report: AuditReport;
let htmlFile: string;
const requests: string[] = [];
const consoleErrors: string[] = [];
const pageErrors: string[] = [];
const dialogs: string[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install -y chromium); the browser test needs it and is never skipped`);
  }
  server = await startLocalRedis();
  leak = await perRequestLeak({ host: server.host, port: server.port }, LEAK, { count: 12, name: HOSTILE });
  await waitForIdle(server, LEAK, 12, 1); // idle 1 s and more
  const result = await runAudit({
    ...fastClock(), // the second sample a second later by the auditor's clock, at once
    target: parseTargetUrl(server.url), samples: 2, intervalMs: 1000, previousState: null,
    policy: { ...defaultPolicy, idleSeconds: 1, minGroupConnections: 5 },
    connectTimeoutMs: 5000, commandTimeoutMs: 5000, toolVersion: 'browser-test',
  });
  if (result.error) throw result.error;
  report = result.report;

  mkdirSync(ARTIFACTS, { recursive: true });
  htmlFile = join(ARTIFACTS, 'report.html');
  writeFileSync(htmlFile, renderHtmlReport(report, { history: result.state.samples, links: { json: 'report.json' } }));
  writeFileSync(join(ARTIFACTS, 'report.json'), JSON.stringify(report, null, 2));

  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
  page.on('request', (request) => requests.push(request.url()));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  // Runs before the page's own code (CDP, outside the page's CSP): any alert() the page managed to run leaves a mark.
  await page.addInitScript({
    content: 'window.alert = window.confirm = window.prompt = function () { window.__xss = true; };',
  });
  await page.goto(pathToFileURL(htmlFile).href, { waitUntil: 'load' });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await leak?.stop();
  await server?.stop();
});

describe('the HTML report of a real leak, in Chromium', () => {
  it('audited the leak with its hostile name (the precondition of what follows)', () => {
    expect(report.findings.find((f) => f.kind === 'idle-connections')?.subject).toEqual({ workload: HOSTILE, identifiedBy: 'client-name', sourceIp: LEAK, clientName: HOSTILE });
  });

  it('loads with no console error and no page error', () => {
    expect(consoleErrors).toEqual([]);
    expect(pageErrors).toEqual([]);
  });

  it('fetches nothing: the only request is the page itself', () => {
    expect(requests).toEqual([pathToFileURL(htmlFile).href]);
  });

  it('shows the hostile client name as text, and runs none of it', async () => {
    await expect(page.getByText(HOSTILE, { exact: true }).first().isVisible()).resolves.toBe(true);
    expect(await page.getByText(HOSTILE, { exact: true }).count()).toBeGreaterThanOrEqual(3);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(0);
    expect(await page.evaluate('typeof window.__xss')).toBe('undefined');
    expect(dialogs).toEqual([]);
  });

  it('shows the leaking source and its idle-connections finding', async () => {
    const finding = page.locator('article.finding', { hasText: 'idle-connections' }).filter({ hasText: LEAK });
    await expect(finding.first().isVisible()).resolves.toBe(true);
    const sourceRow = page.locator('#sources tr', { hasText: LEAK });
    await expect(sourceRow.first().isVisible()).resolves.toBe(true);
    expect(await sourceRow.first().innerText()).toContain('idle-connections');
    expect(await page.locator('#verdict').innerText()).toContain(LEAK);
  });

  it('shows the leaking workload first among the tables, flagged, with how it was identified', async () => {
    const row = page.locator('#workloads tr', { hasText: HOSTILE });
    await expect(row.first().isVisible()).resolves.toBe(true);
    expect(await row.first().innerText()).toMatch(/idle-connections[\s\S]*client name/);
    const [workloads, sources] = await page.evaluate<[number, number]>(
      '[document.getElementById("workloads").offsetTop, document.getElementById("sources").offsetTop]',
    );
    expect(workloads).toBeLessThan(sources);
  });

  it('draws the trend of the sources from the run\'s samples', async () => {
    expect(await page.locator('svg.chart polyline').count()).toBeGreaterThanOrEqual(1);
  });

  it('fits a 390 px wide phone screen without horizontal scrolling, and is captured', async () => {
    await page.screenshot({ path: join(ARTIFACTS, 'report-1200.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    const [scrollWidth, clientWidth] = await page.evaluate<[number, number]>(
      '[document.documentElement.scrollWidth, document.documentElement.clientWidth]',
    );
    expect(scrollWidth).toBeLessThanOrEqual(clientWidth);
    const phone = join(ARTIFACTS, 'report-390.png');
    await page.screenshot({ path: phone, fullPage: true });
    expect(existsSync(phone)).toBe(true);
  });
});
