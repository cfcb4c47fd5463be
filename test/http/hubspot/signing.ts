/** Test helper: signs a request the way HubSpot does, with the SDK's own `Signature.getSignature`. */
import { Signature } from '@hubspot/api-client';

export interface SignOptions {
  secret: string;
  method: string;
  url: string;
  body?: string;
  timestamp?: number;
}

/** Headers of a v3-signed request (hubspot.fetch, webhooks). */
export function v3Headers(o: SignOptions): Record<string, string> {
  const timestamp = o.timestamp ?? Date.now();
  const signature = Signature.getSignature(o.method, 'v3', {
    clientSecret: o.secret,
    url: o.url,
    requestBody: o.body ?? '',
    timestamp,
    signature: '',
  });
  return { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) };
}

/** Headers of a v2-signed request (legacy custom workflow actions). */
export function v2Headers(o: SignOptions): Record<string, string> {
  const signature = Signature.getSignature(o.method, 'v2', {
    clientSecret: o.secret,
    url: o.url,
    requestBody: o.body ?? '',
    signature: '',
  });
  return { 'X-HubSpot-Signature': signature, 'X-HubSpot-Signature-Version': 'v2' };
}
