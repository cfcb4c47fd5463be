/**
 * Account defaults (the settings page) persisted in Redis, one JSON value per portal under the portal's hash tag
 * `{p:<portalId>}`, so every backend process and a restart see what a manager saved.
 *
 * The engine reads a portal's defaults synchronously on every decision (`settingsOf`), so this repository keeps a
 * read-through copy per portal: `get` and `put` refresh it from / into Redis; `settingsOf` answers the copy (or the
 * initial defaults for a portal this process has not read yet). Another process's save reaches this process's
 * engine at its next `get` (every settings-page load and every API read of the settings).
 */
import { AccountDefaultsSchema } from '../../../domain/account-defaults.js';
import type { AccountDefaults } from '../../../domain/account-defaults.js';
import { PortalKeys } from '../../../engine/store/keys.js';
import type { RedisConnection } from '../../../engine/store/redis/connection.js';
import type { AccountDefaultsRepository } from '../ports.js';

export class RedisAccountDefaults implements AccountDefaultsRepository {
  private readonly initial: AccountDefaults;
  private readonly known = new Map<string, AccountDefaults>();

  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
    initial: Partial<AccountDefaults> = {},
  ) {
    this.initial = AccountDefaultsSchema.parse(initial);
  }

  private key(portalId: string): string {
    return `${new PortalKeys(this.keyPrefix, portalId).base}:account`;
  }

  settingsOf(portalId: string): AccountDefaults {
    return this.known.get(portalId) ?? this.initial;
  }

  async get(portalId: string): Promise<AccountDefaults> {
    const raw = await this.redis.get(this.key(portalId));
    if (raw === null) return this.settingsOf(portalId);
    // stored values went through the schema on `put`; parsing again fills defaults added since they were saved
    const parsed = AccountDefaultsSchema.safeParse(JSON.parse(raw));
    if (!parsed.success) return this.settingsOf(portalId);
    this.known.set(portalId, parsed.data);
    return parsed.data;
  }

  async put(portalId: string, defaults: AccountDefaults): Promise<AccountDefaults> {
    await this.redis.set(this.key(portalId), JSON.stringify(defaults));
    this.known.set(portalId, defaults);
    return defaults;
  }
}
