/**
 * Who may manage campaigns (seed 002): read server-side from HubSpot's users API, never from the card, and
 * cached briefly so a card's polling does not cost a HubSpot call per request.
 */
import { Agent } from 'node:https';
import { Client } from '@hubspot/api-client';
import type { NextFunction, Request, Response } from 'express';
import { mayManageCampaigns } from '../../domain/account-defaults.js';
import { ApiError } from './errors.js';
import type { AccountDefaultsRepository } from './ports.js';
import { callerOf } from './caller.js';

export interface UserRoles {
  superAdmin: boolean;
  /** Primary and secondary team ids. */
  teamIds: string[];
}

/** The roles of a portal's user; null when the portal has no such user. */
export interface RoleDirectory {
  rolesOf(portalId: string, userId: string): Promise<UserRoles | null>;
}

/** Fixed roles (tests, demo): `portalId/userId` -> roles. */
export class StaticRoleDirectory implements RoleDirectory {
  constructor(private readonly users: Record<string, UserRoles> = {}) {}
  set(portalId: string, userId: string, roles: UserRoles) {
    this.users[`${portalId}/${userId}`] = roles;
  }
  async rolesOf(portalId: string, userId: string) {
    return this.users[`${portalId}/${userId}`] ?? null;
  }
}

export interface HubSpotRoleDirectoryOptions {
  /** The portal's access token (OAuth install or private app). */
  accessToken: (portalId: string) => Promise<string>;
  ttlMs?: number;
  now?: () => number;
  /** Keep-alive agent shared by the clients (nock sees requests made through it). */
  agent?: Agent;
  basePath?: string;
}

/** A HubSpot SDK client over a keep-alive https.Agent (never global fetch, which nock cannot see). */
export function hubspotClient(accessToken: string, agent: Agent, basePath?: string): Client {
  return new Client({
    accessToken,
    httpAgent: agent,
    numberOfApiCallRetries: 0,
    ...(basePath ? { basePath } : {}),
  });
}

export class HubSpotRoleDirectory implements RoleDirectory {
  private readonly cache = new Map<string, { at: number; roles: UserRoles | null }>();
  private readonly agent: Agent;
  private readonly ttlMs: number;
  private readonly now: () => number;

  constructor(private readonly options: HubSpotRoleDirectoryOptions) {
    this.agent = options.agent ?? new Agent({ keepAlive: true });
    this.ttlMs = options.ttlMs ?? 60_000;
    this.now = options.now ?? Date.now;
  }

  async rolesOf(portalId: string, userId: string): Promise<UserRoles | null> {
    const key = `${portalId}/${userId}`;
    const hit = this.cache.get(key);
    if (hit && this.now() - hit.at < this.ttlMs) return hit.roles;
    const client = hubspotClient(await this.options.accessToken(portalId), this.agent, this.options.basePath);
    let roles: UserRoles | null;
    try {
      const user = await client.settings.users.usersApi.getById(userId, 'USER_ID');
      roles = {
        superAdmin: user.superAdmin === true,
        teamIds: [...(user.primaryTeamId ? [user.primaryTeamId] : []), ...(user.secondaryTeamIds ?? [])],
      };
    } catch (error) {
      if ((error as { code?: unknown }).code === 404) roles = null;
      else throw new ApiError(503, 'could not read your HubSpot roles; try again shortly');
    }
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, { at: this.now(), roles });
    return roles;
  }
}

/** Route guard: only super admins or members of the account's campaign teams pass (403 otherwise). */
export function requireManager(roles: RoleDirectory, accounts: AccountDefaultsRepository) {
  return (req: Request, res: Response, next: NextFunction) => {
    const caller = callerOf(res);
    Promise.all([roles.rolesOf(caller.portalId, caller.userId), accounts.get(caller.portalId)])
      .then(([user, account]) => {
        if (!user || !mayManageCampaigns(user, account.campaignTeams)) {
          next(
            new ApiError(
              403,
              'only super admins and members of the teams allowed to run campaigns may do this',
            ),
          );
          return;
        }
        next();
      })
      .catch(next);
  };
}
