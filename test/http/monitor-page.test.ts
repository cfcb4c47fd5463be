/**
 * The monitor page in headless Chromium: it loads the snapshot, follows the event stream, shows a clear error
 * when the backend goes away, and recovers when it comes back.
 */
import { describe, it, expect, beforeAll, afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BrowserContext, Page } from 'playwright-core';
import { createApp } from '../../src/http/app.js';
import { createLiveSnapshot, type LiveSnapshot } from '../../src/http/monitor/live-snapshot.js';
import { createLogger } from '../../src/observability/logger.js';
import { createMetrics } from '../../src/observability/metrics.js';
import type { Disposition } from '../../src/domain/outcome.js';
import type { EngineEvent, LeadState } from '../../src/engine/events.js';
import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { launchBrowser } from '../support/browser.js';

/** The few DOM globals the in-page callbacks use (the project's lib has no DOM types). */
declare const document: {
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): { textContent: string | null } | null;
};

const PORTAL = '4242';
const T0 = Date.UTC(2026, 2, 2, 15, 0, 0);

/** A deterministic morning of activity for two campaigns, spread over 20 minutes of engine time. */
function history(): EngineEvent[] {
  const events: EngineEvent[] = [];
  const base = { portalId: PORTAL };
  events.push({
    ...base,
    type: 'campaign.status',
    campaignId: 'spring',
    at: T0,
    from: 'scheduled',
    to: 'active',
  });
  events.push({
    ...base,
    type: 'enrollment',
    campaignId: 'spring',
    at: T0,
    enrolled: 400,
    skipped: { DNC: 6, INVALID_NUMBER: 9, DUPLICATE: 4 },
  });
  events.push({
    ...base,
    type: 'campaign.status',
    campaignId: 'reminders',
    at: T0,
    from: 'scheduled',
    to: 'active',
  });
  events.push({
    ...base,
    type: 'enrollment',
    campaignId: 'reminders',
    at: T0,
    enrolled: 120,
    skipped: { NO_CALLABLE_TIME: 3 },
  });
  const outcomes: [Disposition, LeadState, string][] = [
    ['CONNECTED', 'reached', 'Connected'],
    ['NO_ANSWER', 'retrying', 'No answer'],
    ['LEFT_VOICEMAIL', 'retrying', 'Voicemail left'],
    ['BUSY', 'retrying', 'Busy'],
    ['NO_ANSWER', 'retrying', 'No answer'],
    ['FAILED', 'failed', 'Invalid number'],
    ['CONNECTED', 'reached', 'Connected'],
    ['LEFT_LIVE_MESSAGE', 'retrying', 'Answered, no agent free (safe-harbor message)'],
  ];
  let n = 0;
  for (let minute = 0; minute < 20; minute++) {
    const perMinute = 3 + ((minute * 7) % 5);
    for (let k = 0; k < perMinute; k++) {
      n += 1;
      const campaignId = n % 3 === 0 ? 'reminders' : 'spring';
      const at = T0 + minute * 60_000 + k * 5_000;
      const attemptId = `a${n}`;
      const contactId = `c${n}`;
      events.push({
        ...base,
        type: 'attempt.started',
        campaignId,
        attemptId,
        contactId,
        to: `+1305555${String(n).padStart(4, '0')}`,
        from: '+13055550100',
        attempt: 1,
        dueAt: at,
        at,
      });
      const [disposition, nextState, outcomeLabel] =
        campaignId === 'reminders'
          ? (['CONFIRMED', 'reached', 'Confirmed (pressed 1)'] as const)
          : outcomes[n % outcomes.length]!;
      if (minute < 19 || k < perMinute - 2) {
        events.push({
          ...base,
          type: 'attempt.finished',
          campaignId,
          attemptId,
          contactId,
          to: 'x',
          from: 'y',
          at: at + 4_000,
          startedAt: at,
          durationSec: 30,
          disposition,
          category: /safe-harbor/.test(outcomeLabel) ? 'ABANDONED' : undefined,
          outcomeLabel,
          nextState,
          campaignName: campaignId === 'spring' ? 'Spring renewals' : 'Appointment reminders',
        });
      } else {
        events.push({
          ...base,
          type: 'attempt.status',
          campaignId,
          attemptId,
          contactId,
          at: at + 1_000,
          status: 'in-progress',
        });
      }
    }
  }
  events.push({
    ...base,
    type: 'campaign.alert',
    campaignId: 'spring',
    at: T0 + 15 * 60_000,
    level: 'warning',
    message: 'CRM rate limit reached; writes are being retried',
  });
  return events;
}

describe('monitor page (headless Chromium)', () => {
  let browser: BrowserContext;
  let page: Page;
  let server: Server;
  let port: number;
  let live: LiveSnapshot;
  let userDataDir: string;
  const log = new MemoryStore();
  const logger = createLogger({ level: 'silent' });
  const makeApp = () =>
    createApp({
      logger,
      metrics: createMetrics(),
      monitor: { eventLog: log, portalId: PORTAL, snapshot: () => live.snapshot(), blockMs: 100 },
    });
  const listen = (p: number) =>
    new Promise<Server>((resolve) => {
      const s = makeApp().listen(p, '127.0.0.1', () => resolve(s));
    });
  const closeServer = (s: Server) =>
    new Promise<void>((resolve) => {
      s.close(() => resolve());
      s.closeAllConnections();
    });

  beforeAll(async () => {
    for (const e of history()) await log.append(PORTAL, e);
    live = createLiveSnapshot({
      eventLog: log,
      portalId: PORTAL,
      blockMs: 100,
      campaignInfo: (id) =>
        id === 'spring'
          ? { pace: { callsPerSecond: 0.5, maxConcurrentCalls: 10, maxAbandonRatePct: 3 } }
          : { pace: { callsPerSecond: 1, maxConcurrentCalls: 5 } },
    });
    await live.ready;
    server = await listen(0);
    port = (server.address() as AddressInfo).port;
    userDataDir = mkdtempSync(join(tmpdir(), 'autodial-chromium-'));
    browser = await launchBrowser(userDataDir, { viewport: { width: 1600, height: 1300 } });
    page = await browser.newPage();
  });

  afterAll(async () => {
    await browser?.close();
    if (server?.listening) await closeServer(server);
    await live?.stop();
    await log.close();
    rmSync(userDataDir, { recursive: true, force: true });
  });

  const counter = (campaign: string, name: string) =>
    page.locator(`[data-campaign="${campaign}"] [data-counter="${name}"]`);

  it('loads the snapshot and shows per-campaign counters', async () => {
    await page.goto(`http://127.0.0.1:${port}/monitor`);
    await page.waitForFunction(() => document.body.dataset.connection === 'live');
    const expected = live.snapshot().campaigns.spring!.counters;
    await expect(counter('spring', 'queued').textContent()).resolves.toBe(
      expected.queued.toLocaleString('en-US'),
    );
    await expect(counter('spring', 'skipped').textContent()).resolves.toBe('19');
    await expect(counter('spring', 'reached').textContent()).resolves.toBe(String(expected.reached));
    await expect(page.locator('h2', { hasText: 'Spring renewals' }).count()).resolves.toBe(1);
    await expect(page.locator('[data-campaign="spring"] svg[role="img"]').count()).resolves.toBe(2);
    // Numbers reach the page masked.
    const html = await page.content();
    expect(html).not.toMatch(/1305555\d{4}/);
  });

  it('updates when events are appended to the event log', async () => {
    const before = Number(await counter('spring', 'reached').textContent());
    const dialingBefore = Number(await counter('spring', 'dialing').textContent());
    const at = T0 + 20 * 60_000;
    await log.append(PORTAL, {
      type: 'attempt.started',
      portalId: PORTAL,
      campaignId: 'spring',
      attemptId: 'new-1',
      contactId: 'cn1',
      to: '+13055550177',
      from: '+13055550100',
      attempt: 1,
      dueAt: at,
      at,
    });
    await page.waitForFunction(
      (n) =>
        document.querySelector('[data-campaign="spring"] [data-counter="dialing"]')?.textContent ===
        String(n),
      dialingBefore + 1,
    );
    await log.append(PORTAL, {
      type: 'attempt.finished',
      portalId: PORTAL,
      campaignId: 'spring',
      attemptId: 'new-1',
      contactId: 'cn1',
      to: 'x',
      from: 'y',
      startedAt: at,
      durationSec: 40,
      disposition: 'CONNECTED',
      outcomeLabel: 'Connected',
      nextState: 'reached',
      at: at + 2000,
    });
    await page.waitForFunction(
      (n) =>
        document.querySelector('[data-campaign="spring"] [data-counter="reached"]')?.textContent ===
        String(n),
      before + 1,
    );
    await expect(counter('spring', 'dialing').textContent()).resolves.toBe(String(dialingBefore));
    mkdirSync('test-output', { recursive: true });
    await page.screenshot({ path: 'test-output/monitor.png', fullPage: true });
  });

  it('shows "Connection lost — retrying…" when the server goes away, and recovers', async () => {
    await closeServer(server);
    await page.waitForFunction(() => document.body.dataset.connection === 'lost');
    await expect(page.locator('#lost').isVisible()).resolves.toBe(true);
    await expect(page.locator('#conn').textContent()).resolves.toBe('Connection lost — retrying…');
    await page.screenshot({ path: 'test-output/monitor-lost.png' });

    // Events appended while the page was disconnected are not lost.
    const queuedBefore = Number((await counter('reminders', 'queued').textContent())?.replace(/\D/g, ''));
    const at = T0 + 21 * 60_000;
    await log.append(PORTAL, {
      type: 'enrollment',
      portalId: PORTAL,
      campaignId: 'reminders',
      at,
      enrolled: 5,
      skipped: {},
    });
    server = await listen(port);
    await page.waitForFunction(() => document.body.dataset.connection === 'live', undefined, {
      timeout: 30_000,
    });
    await expect(page.locator('#lost').isVisible()).resolves.toBe(false);
    await page.waitForFunction(
      (n) => document.querySelector('[data-campaign="reminders"] [data-counter="queued"]')?.textContent === n,
      (queuedBefore + 5).toLocaleString('en-US'),
    );
  });
});
