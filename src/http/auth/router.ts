/**
 * Monitor sign-in routes and the guard in front of /monitor:
 *  - `GET /auth/login`: starts "Sign in with HubSpot" (a fresh OAuth state in the session, then the redirect);
 *  - `GET /auth/hubspot/callback`: checks the state, exchanges the code, keeps the portal and user;
 *  - `POST /auth/logout`: ends the session.
 * A signed-in viewer sees only their own portal (the monitor router compares it with the backend's).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { Router } from 'express';
import type { Request, RequestHandler, Response } from 'express';
import { z } from 'zod';
import type { Logger } from '../../observability/logger.js';
import type { MonitorSignIn } from '../app.js';
import type { IdentityProvider } from './hubspot-identity.js';
import { sessionOf, type SessionSettings } from './session.js';

export interface SignInOptions {
  provider: IdentityProvider;
  session: SessionSettings;
  logger?: Logger;
  now?: () => number;
  /** How long a started sign-in may take (default 10 minutes). */
  stateTtlMs?: number;
}

const CallbackQuery = z.union([
  z.object({
    code: z.string().regex(/^[\w.-]{1,512}$/, 'expected the authorization code HubSpot sent'),
    state: z.string().regex(/^[\w-]{16,128}$/, 'expected the state this backend sent'),
  }),
  z.object({ error: z.string().max(200), error_description: z.string().max(1000).optional() }),
]);

interface Viewer {
  portalId: string;
  clientKey: string;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createMonitorSignIn(options: SignInOptions): MonitorSignIn {
  const now = options.now ?? Date.now;
  const stateTtlMs = options.stateTtlMs ?? 10 * 60_000;
  const router = Router();

  router.get('/login', async (req, res) => {
    const session = await sessionOf(req, res, options.session);
    const state = randomBytes(24).toString('base64url');
    session.pendingState = state;
    session.pendingSince = now();
    await session.save();
    res.set('Cache-Control', 'no-store').redirect(302, options.provider.authorizeUrl(state));
  });

  router.get('/hubspot/callback', async (req, res) => {
    const parsed = CallbackQuery.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json({
        error: 'invalid sign-in callback',
        details: parsed.error.issues.map((i) => ({
          field: i.path.join('.') || '(query)',
          message: i.message,
        })),
      });
      return;
    }
    if ('error' in parsed.data) {
      res.status(401).json({
        error: 'HubSpot sign-in was not completed',
        details: { reason: parsed.data.error, description: parsed.data.error_description },
      });
      return;
    }
    const { code, state } = parsed.data;
    const session = await sessionOf(req, res, options.session);
    const pending = session.pendingState;
    const fresh = session.pendingSince !== undefined && now() - session.pendingSince <= stateTtlMs;
    if (!pending || !fresh || !sameText(pending, state)) {
      res.status(401).json({
        error: 'this sign-in was not started here or has expired: start again at /auth/login',
        details: { state: 'does not match the sign-in under way' },
      });
      return;
    }
    delete session.pendingState;
    delete session.pendingSince;
    let identity;
    try {
      identity = await options.provider.identify(code);
    } catch (err) {
      const status = (err as { code?: unknown }).code;
      const refused = typeof status === 'number' && status >= 400 && status < 500;
      options.logger?.warn({ err, status }, 'monitor sign-in: HubSpot did not confirm the sign-in');
      await session.save();
      res.status(refused ? 401 : 502).json({
        error: refused
          ? 'HubSpot did not accept the sign-in code: start again at /auth/login'
          : 'HubSpot could not be reached to confirm the sign-in: try again',
      });
      return;
    }
    session.portalId = identity.portalId;
    session.userId = identity.userId;
    if (identity.user) session.user = identity.user;
    else delete session.user;
    session.signedInAt = now();
    await session.save();
    options.logger?.info({ portalId: identity.portalId, userId: identity.userId }, 'monitor sign-in');
    res.set('Cache-Control', 'no-store').redirect(303, '/monitor/');
  });

  router.post('/logout', async (req, res) => {
    const session = await sessionOf(req, res, options.session);
    session.destroy();
    res.status(204).end();
  });

  const requireSession: RequestHandler = async (req: Request, res: Response, next) => {
    try {
      const session = await sessionOf(req, res, options.session);
      if (session.portalId && session.userId) {
        const viewer: Viewer = {
          portalId: session.portalId,
          clientKey: `user:${session.portalId}:${session.userId}`,
        };
        res.locals.monitorViewer = viewer;
        next();
        return;
      }
    } catch (err) {
      next(err);
      return;
    }
    // The page itself leads to the sign-in; its data answers 401 so scripts learn why.
    if (req.method === 'GET' && (req.path === '/' || req.path === '')) {
      res.redirect(302, '/auth/login');
      return;
    }
    res.status(401).json({ error: 'sign in with HubSpot first', details: { login: '/auth/login' } });
  };

  return {
    router,
    requireSession,
    viewer: (_req, res) => res.locals.monitorViewer as Viewer | undefined,
  };
}
