/**
 * The monitor's session: an encrypted, signed cookie (iron-session), HTTP-only, SameSite=Lax (the OAuth callback
 * is a top-level navigation back from HubSpot and must carry the sign-in state), Secure whenever the public URL
 * is https. It holds the signed-in portal and user, or the pending OAuth state while a sign-in is under way.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { getIronSession, type IronSession } from 'iron-session';

export interface MonitorSessionData {
  portalId?: string;
  userId?: string;
  user?: string;
  /** Epoch ms of the sign-in. */
  signedInAt?: number;
  /** The OAuth `state` of a sign-in under way, and when it was issued. */
  pendingState?: string;
  pendingSince?: number;
}

export interface SessionSettings {
  /** 32+ characters (SESSION_SECRET). */
  secret: string;
  /** Secure cookie (https public URL). */
  secure: boolean;
  /** How long a sign-in lasts. */
  ttlSeconds?: number;
}

export const SESSION_COOKIE = 'autodial_monitor';

export type MonitorSession = IronSession<MonitorSessionData>;

export function sessionOf(
  req: IncomingMessage,
  res: ServerResponse,
  settings: SessionSettings,
): Promise<MonitorSession> {
  const ttl = settings.ttlSeconds ?? 8 * 3600;
  return getIronSession<MonitorSessionData>(req, res, {
    password: settings.secret,
    // The __Host- prefix makes browsers refuse the cookie unless it is Secure, host-only and for path /.
    cookieName: settings.secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE,
    ttl,
    cookieOptions: { httpOnly: true, secure: settings.secure, sameSite: 'lax', path: '/' },
  });
}
