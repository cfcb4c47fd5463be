/** The bench's HubSpot-signed requests: the v3 headers HubSpot would send, made with the SDK's own signer. */
import { Signature } from '@hubspot/api-client';

export function v3SignedHeaders(
  secret: string,
  method: string,
  url: string,
  body = '',
): Record<string, string> {
  const timestamp = Date.now();
  const signature = Signature.getSignature(method, 'v3', {
    clientSecret: secret,
    url,
    requestBody: body,
    timestamp,
    signature: '',
  });
  return { 'X-HubSpot-Signature-v3': signature, 'X-HubSpot-Request-Timestamp': String(timestamp) };
}
