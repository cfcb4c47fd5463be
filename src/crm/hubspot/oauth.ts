/**
 * The OAuth install flow of the app, for many portals:
 *   GET /oauth/hubspot/install   -> 302 to HubSpot's authorize page with our scopes and a one-time `state`
 *   GET /oauth/hubspot/callback  -> checks `state`, exchanges the code (SDK `oauth.tokensApi`), learns the
 *                                   portal (`accessTokensApi.get`), stores the tokens encrypted, installs the
 *                                   properties. Bad input is a 400 that says what is wrong, never a 5xx.
 * Uninstall (`HubSpotInstaller.uninstall`) removes the portal's tokens and what we learned about it.
 */
import { randomBytes } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../observability/logger.js';
import { asHubSpotHttpError, createHubSpotClient } from './client.js';
import type { HubSpotClientOptions } from './client.js';
import { HubSpotKeys } from './keys.js';
import type { RedisClient } from './redis.js';
import { optionalScopeList, requiredScopeList } from './scopes.js';
import type { TokenVault } from './tokens.js';

export const CALLBACK_PATH = '/oauth/hubspot/callback';
const STATE_TTL_MS = 10 * 60_000;

export interface HubSpotInstallerOptions {
  redis: RedisClient;
  keyPrefix: string;
  vault: TokenVault;
  clientId: string;
  clientSecret: string;
  /** Public base URL of this backend; the redirect URI is `${publicBaseUrl}/oauth/hubspot/callback`. */
  publicBaseUrl: string;
  clock: Clock;
  logger: Logger;
  /** Runs after tokens are stored (creates the properties); a failure is logged, the install still counts. */
  afterInstall?: (portalId: string) => Promise<void>;
  client?: Omit<HubSpotClientOptions, 'accessToken'>;
}

export class HubSpotInstaller {
  constructor(private readonly options: HubSpotInstallerOptions) {}

  get redirectUri(): string {
    return `${this.options.publicBaseUrl.replace(/\/$/, '')}${CALLBACK_PATH}`;
  }

  /** The authorize URL, with a one-time state remembered for ten minutes (CSRF protection). */
  async authorizeUrl(): Promise<string> {
    const state = randomBytes(18).toString('base64url');
    await this.options.redis.set(this.stateKey(state), '1', { PX: STATE_TTL_MS });
    const client = createHubSpotClient(this.options.client);
    return client.oauth.getAuthorizationUrl(
      this.options.clientId,
      this.redirectUri,
      requiredScopeList().join(' '),
      optionalScopeList().join(' '),
      state,
    );
  }

  /** Exchanges the code and stores the portal's tokens; returns the portal id. */
  async complete(code: string, state: string): Promise<string> {
    const known = await this.options.redis.getDel(this.stateKey(state));
    if (!known) throw new InstallError('state', 'unknown or expired state: start the install again');
    const client = createHubSpotClient(this.options.client);
    let tokens;
    try {
      tokens = await client.oauth.tokensApi.create(
        'authorization_code',
        code,
        this.redirectUri,
        this.options.clientId,
        this.options.clientSecret,
      );
    } catch (error) {
      const http = asHubSpotHttpError(error);
      if (http && http.code >= 400 && http.code < 500) {
        throw new InstallError('code', 'HubSpot refused the authorization code (expired or already used)');
      }
      throw error;
    }
    const info = await client.oauth.accessTokensApi.get(tokens.accessToken);
    const portalId = String(info.hubId);
    await this.options.vault.save(portalId, {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      expiresAt: this.options.clock.now() + tokens.expiresIn * 1000,
      scopes: info.scopes ?? [],
    });
    this.options.logger.info({ portalId, scopes: info.scopes }, 'HubSpot portal installed');
    if (this.options.afterInstall) {
      await this.options.afterInstall(portalId).catch((err: unknown) => {
        this.options.logger.error(
          { err, portalId },
          'installing the Autodial properties failed; retried at next start',
        );
      });
    }
    return portalId;
  }

  /** The app was uninstalled from the portal: its tokens and cached facts go. */
  async uninstall(portalId: string): Promise<void> {
    const keys = new HubSpotKeys(this.options.keyPrefix, portalId);
    await this.options.vault.remove(portalId);
    await this.options.redis.del([keys.portalInfo(), keys.dispositions()]);
    this.options.logger.info({ portalId }, 'HubSpot portal uninstalled; tokens removed');
  }

  private stateKey(state: string): string {
    return `${this.options.keyPrefix}:hs:oauth-state:${state}`;
  }
}

export class InstallError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
    this.name = 'InstallError';
  }
}

const CallbackQuerySchema = z.object({
  code: z.string({ message: 'code is required' }).min(1, 'code is required').max(512),
  state: z.string({ message: 'state is required' }).min(1, 'state is required').max(128),
});

/** Mounted at /oauth/hubspot. */
export function createOAuthRouter(installer: HubSpotInstaller, logger: Logger): Router {
  const router = Router();
  router.get('/install', (_req, res, next) => {
    installer
      .authorizeUrl()
      .then((url) => res.redirect(302, url))
      .catch(next);
  });
  router.get('/callback', (req, res, next) => {
    if (typeof req.query.error === 'string') {
      res
        .status(400)
        .json({ error: `HubSpot did not authorize the install: ${req.query.error}`, details: [] });
      return;
    }
    const parsed = CallbackQuerySchema.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json({
        error: 'The install callback is missing what HubSpot sends',
        details: parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      });
      return;
    }
    installer
      .complete(parsed.data.code, parsed.data.state)
      .then((portalId) => {
        res
          .status(200)
          .type('html')
          .send(
            `<!doctype html><title>Autodial installed</title><p>Autodial is installed in portal ${portalId}.</p>`,
          );
      })
      .catch((error: unknown) => {
        if (error instanceof InstallError) {
          res
            .status(400)
            .json({ error: error.message, details: [{ path: error.field, message: error.message }] });
          return;
        }
        logger.error({ err: error }, 'HubSpot install failed');
        next(error);
      });
  });
  return router;
}
