/**
 * API figures for `npm run bench` (BENCH_ONLY=api runs them alone), on the real Redis:
 *  - api_dialer_view_p99_ms: GET /api/v1/contacts/:id/dialer for a contact with 3 numbers and 5 enrollments,
 *    1,000 signed requests, 50 in flight at once over keep-alive HTTP from a separate process (bench/api-load.ts);
 *    latency per request, signing excluded
 *  - compliance_preview_10k_ms: GET /api/v1/campaigns/:id/compliance-preview of a 10,000-contact campaign
 *    (New York, Florida, California and Toronto numbers, 2% invalid, some DNC), median of 5 runs
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { v3SignedHeaders } from './bench-signing.js';
import { CampaignService } from '../engine/campaigns.js';
import type { Clock } from '../shared/clock.js';
import { Engine } from '../engine/dialer.js';
import { RedisStore, deleteMatching } from '../engine/store/redis-store.js';
import { connectRedis } from '../engine/store/redis/connection.js';
import { createApp } from '../http/app.js';
import { createApiRouter } from '../http/api/router.js';
import {
  CrmListEnrollment,
  MemoryAccountDefaults,
  MemoryAgentPresence,
  MemoryContactDirectory,
  StaticDispositions,
} from '../http/api/local-adapters.js';
import { StaticRoleDirectory } from '../http/api/roles.js';
import { LocalSampleCrm } from '../crm/local-sample-crm.js';
import { silentLogger } from '../observability/logger.js';
import { createMetrics } from '../observability/metrics.js';
import { createNumberZoneLookup } from '../telephony/number-zones.js';

const SECRET = 'bench-client-secret-0123456789';
const BASE = 'https://dialer.example.com';
const PORTAL = '777';
const USER = '1';

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function signedGet(
  agent: Agent,
  port: number,
  path: string,
): Promise<{ status: number; ms: number; body: string }> {
  const url = `${path}${path.includes('?') ? '&' : '?'}portalId=${PORTAL}&userId=${USER}`;
  const headers = v3SignedHeaders(SECRET, 'GET', `${BASE}${url}`);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: url,
        agent,
        headers,
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - started) / 1e6, body }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Runs bench/api-load.ts in its own process: the callers are remote, they do not share our event loop. */
async function loadFromChild(
  port: number,
  path: string,
  total: number,
  concurrency: number,
): Promise<number[]> {
  const child = spawn('node_modules/.bin/node', ['--import', 'tsx', 'bench/api-load.ts'], {
    env: {
      ...process.env,
      PORT: String(port),
      PATH_QUERY: `${path}?portalId=${PORTAL}&userId=${USER}`,
      TOTAL: String(total),
      CONCURRENCY: String(concurrency),
      SECRET,
      BASE,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`the API load generator failed (exit ${code})`);
  return JSON.parse(out) as number[];
}

const campaignSettings = (name: string) => ({
  name,
  callerIds: ['+12125550000'],
  dialMode: { mode: 'message' },
  message: { say: 'Bench' },
  amd: { detection: 'off', onMachine: 'hangup' },
  retry: { strategy: 'intervals', delaysMinutes: [60], maxAttempts: 3, maxRetryDays: 7, minGapMinutes: 30 },
});

export async function apiSection(results: Record<string, number>, clock: Clock, redisUrl: string) {
  const prefix = `bench-api-${randomBytes(4).toString('hex')}`;
  const redis = await connectRedis({ url: redisUrl }, (message, error) =>
    console.error(`${message}: ${error.message}`),
  );
  const store = new RedisStore({ redis, keyPrefix: prefix });
  const zones = createNumberZoneLookup();
  const accounts = new MemoryAccountDefaults({ callerIds: ['+12125550000'] });
  const campaigns = new CampaignService({ store, clock, zones, account: (p) => accounts.settingsOf(p) });
  const engine = new Engine({
    store,
    clock,
    campaigns,
    zones,
    telephony: { dial: async () => ({ providerCallId: 'CA0' }), hangup: async () => {} },
  });
  const contacts = new MemoryContactDirectory();
  const roles = new StaticRoleDirectory();
  roles.set(PORTAL, USER, { superAdmin: true, teamIds: [] });
  const app = createApp({
    logger: silentLogger(),
    metrics: createMetrics(),
    routers: [
      {
        path: '/api/v1',
        router: createApiRouter({
          clientSecret: SECRET,
          publicBaseUrl: BASE,
          store,
          campaigns,
          engine,
          clock,
          zones,
          roles,
          accounts,
          contacts,
          lists: new CrmListEnrollment({ crmOf: () => new LocalSampleCrm(), campaigns }),
          agents: new MemoryAgentPresence(),
          dispositions: new StaticDispositions(),
          accountStatus: async () => ({ twilio: { connected: false }, hubspot: { connected: false } }),
        }),
      },
    ],
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const port = (server.address() as AddressInfo).port;
  const agent = new Agent({ keepAlive: true, maxSockets: 50 });
  try {
    const parts = (process.env.BENCH_API_ONLY ?? 'view,preview').split(',');
    if (parts.includes('view')) await dialerViewRun(results, agent, port, campaigns, contacts);
    if (parts.includes('preview')) await previewRun(results, agent, port, campaigns);
  } finally {
    agent.destroy();
    await new Promise((r) => server.close(r));
    await deleteMatching(redis, `${prefix}:*`);
    await store.close();
    redis.destroy();
  }
}

/** A contact with 3 numbers and 5 enrollments, 1,000 requests, 50 in flight. */
async function dialerViewRun(
  results: Record<string, number>,
  agent: Agent,
  port: number,
  campaigns: CampaignService,
  contacts: MemoryContactDirectory,
) {
  console.log('api: dialer view, 1,000 requests, 50 concurrent ...');
  contacts.add(PORTAL, {
    id: 'k1',
    name: 'Ada Lovelace',
    phones: [
      { field: 'phone', raw: '+12125550101' },
      { field: 'mobilephone', raw: '+13055550102' },
      { field: 'hs_whatsapp_phone_number', raw: '+14155550103' },
    ],
  });
  for (let i = 0; i < 5; i++) {
    const c = await campaigns.create(PORTAL, campaignSettings(`Campaign ${i + 1}`));
    await campaigns.enroll(PORTAL, c.campaignId, [{ contactId: 'k1', phone: '+12125550101' }]);
  }
  const warm = await signedGet(agent, port, '/api/v1/contacts/k1/dialer');
  const view = JSON.parse(warm.body) as { numbers: unknown[]; enrollments: unknown[] };
  if (warm.status !== 200 || view.numbers.length !== 3 || view.enrollments.length !== 5)
    throw new Error(`dialer view bench setup is wrong: ${warm.status} ${warm.body.slice(0, 200)}`);
  const latencies = await loadFromChild(port, '/api/v1/contacts/k1/dialer', 1000, 50);
  latencies.sort((a, b) => a - b);
  results.api_dialer_view_p50_ms = percentile(latencies, 50);
  results.api_dialer_view_p99_ms = percentile(latencies, 99);
}

/** A 10,000-contact campaign previewed 5 times; the median is the figure. */
async function previewRun(
  results: Record<string, number>,
  agent: Agent,
  port: number,
  campaigns: CampaignService,
) {
  console.log('api: compliance preview of 10,000 contacts ...');
  const big = await campaigns.create(PORTAL, campaignSettings('Ten thousand'));
  const areas = ['212', '305', '415', '416', '646'];
  const rows = Array.from({ length: 10_000 }, (_, i) => ({
    contactId: `c${i}`,
    phone: i % 50 === 0 ? 'not a number' : `+1${areas[i % areas.length]}555${String(i).padStart(4, '0')}`,
  }));
  for (let i = 0; i < rows.length; i += 1000)
    await campaigns.enroll(PORTAL, big.campaignId, rows.slice(i, i + 1000));
  await campaigns.addDoNotCall(
    PORTAL,
    rows.filter((_, i) => i % 60 === 1).map((r) => r.phone),
  );
  const runs: number[] = [];
  let summary = '';
  for (let i = 0; i < 5; i++) {
    const res = await signedGet(agent, port, `/api/v1/campaigns/${big.campaignId}/compliance-preview`);
    if (res.status !== 200) throw new Error(`compliance preview answered ${res.status}: ${res.body}`);
    runs.push(res.ms);
    summary = (JSON.parse(res.body) as { summary: string }).summary;
  }
  console.log(`api: preview runs (ms): ${runs.map((r) => r.toFixed(0)).join(', ')}; "${summary}"`);
  results.compliance_preview_10k_ms = [...runs].sort((a, b) => a - b)[2]!;
  results.compliance_preview_10k_first_ms = runs[0]!;
}
