/**
 * A fuzzer for the backend's HTTP surface, as an outsider who can reach the port would try it: every route and
 * random ones, every method, JSON / form / text / binary bodies, deep nesting, large bodies, odd encodings and
 * charsets, percent-encoded and malformed paths, forged and valid Twilio signatures, stream ids and Host
 * headers. Requests come from fast-check with a fixed seed, so a run is repeatable; the test suite asserts no 5xx
 * and no crash, and `npm run bench` reports the counts.
 */
import { request as httpRequest } from 'node:http';
import fc from 'fast-check';
import twilio from 'twilio';

export interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: Buffer;
}

export interface FuzzTarget {
  port: number;
  /** Host header for most requests (the public host in production). */
  host: string;
  /** Public base URL and auth token, to sign some Twilio requests validly (reaching the handlers). */
  publicBaseUrl?: string;
  twilioAuthToken?: string;
}

export interface FuzzOutcome {
  requests: number;
  /** Answers with a 5xx status. */
  status5xx: number;
  /** Requests that got no answer at all (connection reset, hang past the deadline). */
  noAnswer: number;
  byStatus: Record<string, number>;
  /** The first few 5xx / unanswered requests, for a report. */
  failures: { method: string; path: string; status: number | string }[];
}

const ROUTES = [
  '/healthz',
  '/readyz',
  '/metrics',
  '/monitor',
  '/monitor/',
  '/monitor/app.js',
  '/monitor/snapshot',
  '/monitor/events',
  '/auth/login',
  '/auth/hubspot/callback',
  '/auth/logout',
  '/twilio/status',
  '/twilio/amd',
  '/twilio/gather',
  '/twilio/recording',
  '/twilio/twiml/connect',
  '/twilio/dial-action',
  '/twilio/whisper',
  '/api/v1/campaigns',
  '/hubspot/webhooks',
  '/oauth/hubspot/callback',
];
const TWILIO_ROUTES = ROUTES.filter((r) => r.startsWith('/twilio/'));
const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'PROPFIND'];

const segment = fc.oneof(
  fc.stringMatching(/^[a-z0-9]{1,12}$/),
  fc.constantFrom(
    '%00',
    '%zz',
    '%',
    '%2e%2e',
    '..',
    '.',
    '%2F',
    '%C0%AF',
    '%E2%82',
    '%F0%9F%92%A9',
    '~',
    ';x=1',
  ),
  fc.string({ unit: 'grapheme', maxLength: 6 }).map((s) => encodeURIComponent(s)),
);
const randomPath = fc.array(segment, { minLength: 1, maxLength: 6 }).map((parts) => `/${parts.join('/')}`);
const streamId = fc.oneof(
  fc.constantFrom(
    '$',
    '0',
    '0-0',
    '18446744073709551616-0',
    '1-18446744073709551616',
    '-1',
    '1e3',
    '9'.repeat(400),
  ),
  fc
    .tuple(fc.bigInt({ min: 0n, max: 2n ** 70n }), fc.bigInt({ min: 0n, max: 2n ** 70n }))
    .map(([a, b]) => `${a}-${b}`),
);
const queryValue = fc.oneof(
  fc.string({ maxLength: 30 }),
  streamId,
  fc.constantFrom('%2B12125550199', 'javascript:alert(1)', 'a'.repeat(3000), '%zz', '[]', '{"a":1}'),
);
const query = fc
  .array(
    fc.tuple(
      fc.constantFrom('after', 'attemptId', 'code', 'state', 'error', 'leg', 'text', 'x[y][z]', 'flow'),
      queryValue,
    ),
    {
      maxLength: 4,
    },
  )
  .map((pairs) =>
    pairs.length === 0
      ? ''
      : `?${pairs.map(([k, v]) => `${k}=${/%|\[/.test(v) ? v : encodeURIComponent(v)}`).join('&')}`,
  );

const nestedJson = fc
  .tuple(fc.integer({ min: 1, max: 6000 }), fc.constantFrom('[', '{"a":'))
  .map(([depth, open]) => open.repeat(depth) + '1' + (open === '[' ? ']' : '}').repeat(depth));
const formBody = fc
  .dictionary(
    fc.constantFrom(
      'CallSid',
      'CallStatus',
      'SequenceNumber',
      'CallDuration',
      'RecordingUrl',
      'RecordingDuration',
      'Timestamp',
      'AnsweredBy',
      'Digits',
      'a[b][c]',
      'x',
    ),
    fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        `CA${'1'.repeat(32)}`,
        'completed',
        'javascript:alert(1)',
        '-5',
        '9'.repeat(400),
        'Sat, 13 Sep 275760 00:00:00 +0000',
        'human',
      ),
    ),
    { maxKeys: 8 },
  )
  .map((d) => new URLSearchParams(d).toString());

interface BodySpec {
  type?: string;
  encoding?: string;
  body: Buffer;
}
const body: fc.Arbitrary<BodySpec | undefined> = fc.oneof(
  fc.constant(undefined),
  fc
    .jsonValue({ maxDepth: 4 })
    .map((v) => ({ type: 'application/json', body: Buffer.from(JSON.stringify(v) ?? 'null') })),
  nestedJson.map((text) => ({ type: 'application/json', body: Buffer.from(text) })),
  fc.string({ maxLength: 200 }).map((text) => ({ type: 'application/json', body: Buffer.from(text) })),
  formBody.map((text) => ({ type: 'application/x-www-form-urlencoded', body: Buffer.from(text) })),
  fc
    .integer({ min: 1, max: 400_000 })
    .map((n) => ({ type: 'application/json', body: Buffer.from(`"${'x'.repeat(n)}"`) })),
  fc
    .uint8Array({ maxLength: 300 })
    .map((bytes) => ({ type: 'application/octet-stream', body: Buffer.from(bytes) })),
  fc
    .tuple(
      fc.constantFrom('gzip', 'deflate', 'br', 'compress', 'x-unknown'),
      fc.uint8Array({ maxLength: 100 }),
    )
    .map(([encoding, bytes]) => ({ type: 'application/json', encoding, body: Buffer.from(bytes) })),
  fc
    .constantFrom(
      'application/json; charset=utf-16',
      'application/json; charset=koi8-r',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/x-www-form-urlencoded; charset=latin1',
    )
    .map((type) => ({ type, body: Buffer.from('{"a":1}') })),
);

const PLAIN_HEADERS = fc.record(
  {
    signature: fc.oneof(fc.string({ maxLength: 40 }), fc.constant('bm90LWEtc2lnbmF0dXJl')),
    lastEventId: streamId,
    authorization: fc.constantFrom('Bearer x', 'Basic Zm9vOmJhcg==', ''),
    cookie: fc.constantFrom('autodial_monitor=Fe26.2**x', '__Host-autodial_monitor=junk', 'a=b'),
    forwardedFor: fc.constantFrom('203.0.113.9', '1.1.1.1, 2.2.2.2', 'garbage'),
    otherHost: fc.constantFrom('evil.example.net', '127.0.0.1', 'a'.repeat(300)),
  },
  { requiredKeys: [] },
);

/** One random request against `target`; `signed` requests carry a valid Twilio signature when possible. */
export function fuzzRequestArbitrary(target: FuzzTarget): fc.Arbitrary<FuzzRequest> {
  const known = fc.tuple(fc.constantFrom(...ROUTES), query).map(([p, q]) => p + q);
  const anyPath = fc.oneof(
    { weight: 3, arbitrary: known },
    { weight: 1, arbitrary: randomPath },
    { weight: 1, arbitrary: fc.tuple(randomPath, query).map(([p, q]) => p + q) },
  );
  const signedTwilio = fc
    .tuple(
      fc.constantFrom(...TWILIO_ROUTES),
      fc.constantFrom('?attemptId=a1', '?attemptId=a1&leg=rep', '?text=hi', ''),
      formBody,
    )
    .map(([route, q, form]): FuzzRequest => {
      const path = route + q;
      const params = Object.fromEntries(new URLSearchParams(form));
      const headers: Record<string, string> = {
        host: target.host,
        'content-type': 'application/x-www-form-urlencoded',
      };
      if (target.twilioAuthToken && target.publicBaseUrl) {
        headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(
          target.twilioAuthToken,
          target.publicBaseUrl.replace(/\/+$/, '') + path,
          params,
        );
      }
      return { method: 'POST', path, headers, body: Buffer.from(form) };
    });
  const random = fc
    .tuple(fc.constantFrom(...METHODS), anyPath, body, PLAIN_HEADERS)
    .map(([method, path, spec, h]): FuzzRequest => {
      const headers: Record<string, string> = { host: h.otherHost ?? target.host };
      if (spec?.type) headers['content-type'] = spec.type;
      if (spec?.encoding) headers['content-encoding'] = spec.encoding;
      if (h.signature !== undefined) headers['x-twilio-signature'] = h.signature;
      if (h.lastEventId !== undefined) headers['last-event-id'] = h.lastEventId;
      if (h.authorization) headers.authorization = h.authorization;
      if (h.cookie) headers.cookie = h.cookie;
      if (h.forwardedFor) headers['x-forwarded-for'] = h.forwardedFor;
      return { method, path, headers, ...(spec ? { body: spec.body } : {}) };
    });
  return fc.oneof({ weight: 4, arbitrary: random }, { weight: 1, arbitrary: signedTwilio });
}

/**
 * Sends one request and resolves with its status, or 'no-answer'. A live stream (200 text/event-stream) counts
 * as answered once its headers arrive; it is then closed.
 */
export function sendFuzzRequest(
  port: number,
  req: FuzzRequest,
  deadlineMs = 10_000,
): Promise<number | 'no-answer'> {
  return new Promise((resolve) => {
    let done = false;
    const finish = (value: number | 'no-answer') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(value);
    };
    const headers = { ...req.headers, ...(req.body ? { 'content-length': String(req.body.length) } : {}) };
    // Node refuses to send a raw space or non-ASCII in a path; the server sees them percent-encoded anyway.
    const path = req.path.replace(/[^\x21-\x7e]/g, (c) => encodeURIComponent(c));
    const outgoing = httpRequest({ host: '127.0.0.1', port, method: req.method, path, headers }, (res) => {
      const status = res.statusCode ?? 0;
      if (String(res.headers['content-type'] ?? '').startsWith('text/event-stream')) {
        res.destroy();
        finish(status);
        return;
      }
      res.resume();
      res.on('end', () => finish(status));
      res.on('error', () => finish(status));
      res.on('close', () => finish(status));
    });
    const timer = setTimeout(() => {
      outgoing.destroy();
      finish('no-answer');
    }, deadlineMs);
    timer.unref();
    outgoing.on('error', () => finish('no-answer'));
    if (req.body) outgoing.end(req.body);
    else outgoing.end();
  });
}

/** Sends `count` requests from the seeded generator, a few at a time, and counts what came back. */
export async function runSurfaceFuzz(
  target: FuzzTarget,
  options: { count: number; seed: number; concurrency?: number },
): Promise<FuzzOutcome> {
  const requests = fc.sample(fuzzRequestArbitrary(target), { numRuns: options.count, seed: options.seed });
  const outcome: FuzzOutcome = { requests: 0, status5xx: 0, noAnswer: 0, byStatus: {}, failures: [] };
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const req = requests[next++]!;
      const status = await sendFuzzRequest(target.port, req);
      outcome.requests += 1;
      outcome.byStatus[String(status)] = (outcome.byStatus[String(status)] ?? 0) + 1;
      const failed = status === 'no-answer' || status >= 500;
      if (status === 'no-answer') outcome.noAnswer += 1;
      else if (status >= 500) outcome.status5xx += 1;
      if (failed && outcome.failures.length < 10) {
        outcome.failures.push({ method: req.method, path: req.path.slice(0, 200), status });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency ?? 4 }, worker));
  return outcome;
}

/** Lines of Prometheus text that are samples (not # HELP / # TYPE): the series count. */
export function seriesCount(metricsText: string): number {
  return metricsText.split('\n').filter((line) => line && !line.startsWith('#')).length;
}
