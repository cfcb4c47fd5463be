/**
 * "Sign in with HubSpot" for the monitor: HubSpot's OAuth authorize step, the code exchange and the token-info
 * call (`/oauth/v1/access-tokens/{token}`) that names the portal (hub id) and the user. Only the identity is
 * kept: the access token is dropped at once, since the monitor reads our own data, not the portal's.
 * Independent of the app-install OAuth (crm/hubspot), which stores tokens; both use the app's client id.
 */
import { Agent } from 'node:https';
import { Client } from '@hubspot/api-client';
import { z } from 'zod';

export interface SignInIdentity {
  portalId: string;
  userId: string;
  /** The user's e-mail, when HubSpot reports it. */
  user?: string;
}

export interface IdentityProvider {
  /** Where to send the browser; `state` comes back on the callback. */
  authorizeUrl(state: string): string;
  /** Exchanges the callback's code for the signed-in portal and user. */
  identify(code: string): Promise<SignInIdentity>;
}

export interface HubSpotIdentityOptions {
  clientId: string;
  clientSecret: string;
  /** `${PUBLIC_BASE_URL}/auth/hubspot/callback`, registered in the app's redirect URLs. */
  redirectUri: string;
  /** Scopes asked for: `oauth` is the least an app can ask and all a sign-in needs. */
  scopes?: string;
  /** For tests: another API host. */
  basePath?: string;
}

const TokenInfo = z.object({
  hubId: z.number().int().positive(),
  userId: z.number().int().positive(),
  user: z.string().optional(),
});

export function hubspotIdentityProvider(options: HubSpotIdentityOptions): IdentityProvider {
  // A keep-alive agent: connections are reused, and the SDK goes through node's https (which nock intercepts).
  const httpAgent = new Agent({ keepAlive: true, maxSockets: 10 });
  const client = new Client({
    httpAgent,
    numberOfApiCallRetries: 0,
    ...(options.basePath ? { basePath: options.basePath } : {}),
  });
  const scopes = options.scopes ?? 'oauth';
  return {
    authorizeUrl(state) {
      return client.oauth.getAuthorizationUrl(
        options.clientId,
        options.redirectUri,
        scopes,
        undefined,
        state,
      );
    },
    async identify(code) {
      const tokens = await client.oauth.tokensApi.create(
        'authorization_code',
        code,
        options.redirectUri,
        options.clientId,
        options.clientSecret,
      );
      const info = TokenInfo.parse(await client.oauth.accessTokensApi.get(tokens.accessToken));
      return {
        portalId: String(info.hubId),
        userId: String(info.userId),
        ...(info.user ? { user: info.user } : {}),
      };
    },
  };
}
