/**
 * HubSpot request signatures, checked with the SDK's `Signature.isValid` before anything else reads the body:
 * v3 (`hubspot.fetch` from cards, webhooks) signs method + full URL + raw body + timestamp; custom workflow actions
 * may send v2 (method + URL + body, keyed by the client secret, no timestamp).
 *
 * The middleware reads the raw bytes (a signature covers the exact body), verifies, and only then parses JSON with
 * a size and a depth limit, so unsigned input is never parsed and hostile nesting is a 400, never a 500.
 */
import { Signature } from '@hubspot/api-client';
import express from 'express';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { z } from 'zod';

export type SignatureVersion = 'v2' | 'v3';

/** The SDK's window for v3 timestamps; we also refuse timestamps this far in the future (the SDK does not). */
export const MAX_TIMESTAMP_SKEW_MS = 300_000;

export interface SignatureCheck {
  clientSecret: string;
  method: string;
  /** The full public URL the caller used: https://host/path?query. */
  url: string;
  rawBody: string;
  headers: Record<string, string | string[] | undefined>;
  /** Which versions this endpoint accepts, in order of preference. */
  versions: readonly SignatureVersion[];
  now?: number;
}

export type SignatureVerdict =
  { ok: true; version: SignatureVersion } | { ok: false; status: 401; reason: string };

function header(headers: SignatureCheck['headers'], name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * HubSpot's docs ask to decode a few URL-encoded characters before hashing a v3 URL; which ones is not confirmed
 * (reference: hubspot-platform.md), so the URL is tried as received and with those characters decoded. Either
 * form still needs the client secret, so accepting both weakens nothing.
 */
const DECODED_IN_V3: Record<string, string> = {
  '%3A': ':',
  '%2F': '/',
  '%3F': '?',
  '%40': '@',
  '%21': '!',
  '%24': '$',
  '%27': "'",
  '%28': '(',
  '%29': ')',
  '%2A': '*',
  '%2C': ',',
  '%3B': ';',
};

function urlVariants(url: string): string[] {
  const decoded = url.replace(
    /%(3A|2F|3F|40|21|24|27|28|29|2A|2C|3B)/gi,
    (m) => DECODED_IN_V3[m.toUpperCase()]!,
  );
  return decoded === url ? [url] : [url, decoded];
}

/** Verifies one request; never throws (the SDK throws on a stale v3 timestamp: that is a 401 here). */
export function verifyHubSpotSignature(check: SignatureCheck): SignatureVerdict {
  const now = check.now ?? Date.now();
  const v3 = header(check.headers, 'x-hubspot-signature-v3');
  if (v3 && check.versions.includes('v3')) {
    const rawTimestamp = header(check.headers, 'x-hubspot-request-timestamp');
    if (!rawTimestamp || !/^\d{1,15}$/.test(rawTimestamp)) {
      return { ok: false, status: 401, reason: 'missing or malformed X-HubSpot-Request-Timestamp' };
    }
    const timestamp = Number(rawTimestamp);
    if (Math.abs(now - timestamp) > MAX_TIMESTAMP_SKEW_MS) {
      return { ok: false, status: 401, reason: 'request timestamp is outside the 5-minute window' };
    }
    for (const url of urlVariants(check.url)) {
      try {
        const valid = Signature.isValid({
          signatureVersion: 'v3',
          method: check.method,
          url,
          requestBody: check.rawBody,
          timestamp,
          signature: v3,
          clientSecret: check.clientSecret,
        });
        if (valid) return { ok: true, version: 'v3' };
      } catch {
        return { ok: false, status: 401, reason: 'request timestamp is outside the 5-minute window' };
      }
    }
    return { ok: false, status: 401, reason: 'invalid X-HubSpot-Signature-v3' };
  }
  const v2 = header(check.headers, 'x-hubspot-signature');
  const declared = header(check.headers, 'x-hubspot-signature-version') ?? 'v2';
  if (v2 && declared === 'v2' && check.versions.includes('v2')) {
    const valid = Signature.isValid({
      signatureVersion: 'v2',
      method: check.method,
      url: check.url,
      requestBody: check.rawBody,
      signature: v2,
      clientSecret: check.clientSecret,
    });
    return valid
      ? { ok: true, version: 'v2' }
      : { ok: false, status: 401, reason: 'invalid X-HubSpot-Signature' };
  }
  return {
    ok: false,
    status: 401,
    reason: `missing HubSpot signature (expected ${check.versions.map((v) => `X-HubSpot-Signature${v === 'v3' ? '-v3' : ''}`).join(' or ')})`,
  };
}

/**
 * Depth of nested arrays/objects in a JSON text, counted without parsing (so a 100,000-deep payload cannot
 * overflow the stack). Hand-written: JSON.parse has no depth option.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) max = Math.max(max, ++depth);
    else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return max;
}

/** The identity HubSpot appends to a signed `hubspot.fetch` URL. Trusted only after the signature check. */
export const HubSpotCallerSchema = z.object({
  portalId: z.string().regex(/^\d{1,20}$/, 'expected the numeric portal id'),
  userId: z.string().regex(/^\d{1,20}$/, 'expected the numeric user id'),
  userEmail: z.string().email().max(320).optional(),
  appId: z
    .string()
    .regex(/^\d{1,20}$/)
    .optional(),
});
export type HubSpotCaller = z.infer<typeof HubSpotCallerSchema>;

export interface SignedRouteOptions {
  clientSecret: string;
  /** PUBLIC_BASE_URL: its origin and the request's original URL form the signed URL. */
  publicBaseUrl: string;
  versions?: readonly SignatureVersion[];
  /** Largest raw body accepted (bytes). HubSpot caps hubspot.fetch bodies at 1 MB. */
  limitBytes?: number;
  /** Deepest JSON nesting accepted. */
  maxDepth?: number;
  now?: () => number;
}

/** What a verified request carries for its handlers (`res.locals.hubspot`). */
export interface SignedRequestLocals {
  version: SignatureVersion;
  /** Present when the signed URL carries portalId and userId (hubspot.fetch); absent for webhooks. */
  caller?: HubSpotCaller;
}

function firstQueryValue(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (Array.isArray(value) && typeof value[0] === 'string') return value[0];
  return undefined;
}

/**
 * Route middleware: raw body → signature check (401 on failure) → JSON parse with limits (400) → `req.body`, and
 * `res.locals.hubspot` with the version and, for card requests, the signed caller.
 */
export function hubspotSigned(options: SignedRouteOptions): RequestHandler[] {
  const versions = options.versions ?? ['v3'];
  const maxDepth = options.maxDepth ?? 32;
  const origin = new URL(options.publicBaseUrl).origin;
  const raw = express.raw({ type: () => true, limit: options.limitBytes ?? 1_000_000 });
  const verify = (req: Request, res: Response, next: NextFunction) => {
    const rawBody = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    const verdict = verifyHubSpotSignature({
      clientSecret: options.clientSecret,
      method: req.method,
      url: `${origin}${req.originalUrl}`,
      rawBody,
      headers: req.headers,
      versions,
      now: options.now?.(),
    });
    if (!verdict.ok) {
      res.status(verdict.status).json({ error: verdict.reason });
      return;
    }
    let body: unknown = undefined;
    if (rawBody.trim() !== '') {
      if (jsonDepth(rawBody) > maxDepth) {
        res.status(400).json({ error: `JSON body nested deeper than ${maxDepth} levels` });
        return;
      }
      try {
        body = JSON.parse(rawBody);
      } catch {
        res.status(400).json({ error: 'malformed JSON body' });
        return;
      }
    }
    req.body = body;
    const caller = HubSpotCallerSchema.safeParse({
      portalId: firstQueryValue(req.query.portalId),
      userId: firstQueryValue(req.query.userId),
      userEmail: firstQueryValue(req.query.userEmail),
      appId: firstQueryValue(req.query.appId),
    });
    const locals: SignedRequestLocals = {
      version: verdict.version,
      caller: caller.success ? caller.data : undefined,
    };
    res.locals.hubspot = locals;
    next();
  };
  return [raw, verify];
}

/** For handlers behind `hubspotSigned` that need a card caller: the signed portal and user, or a 401. */
export function signedCaller(res: Response): HubSpotCaller | undefined {
  return (res.locals.hubspot as SignedRequestLocals | undefined)?.caller;
}
