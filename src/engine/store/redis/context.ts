/** What every part of the Redis store shares: the connection, the scripts, the key layout and the stream caps. */
import { randomBytes } from 'node:crypto';
import { PortalKeys } from '../keys.js';
import type { RedisConnection } from './connection.js';
import { ScriptRunner } from './scripts.js';

export class RedisContext {
  readonly scripts: ScriptRunner;

  constructor(
    readonly conn: RedisConnection,
    readonly prefix: string,
    /** The hard cap handed to every XADD (scripts included); trimming proper is EventsPart.trimEvents. */
    readonly maxEvents: number,
  ) {
    this.scripts = new ScriptRunner(conn);
  }

  keys(portalId: string): PortalKeys {
    return new PortalKeys(this.prefix, portalId);
  }

  run(...a: Parameters<ScriptRunner['run']>): Promise<unknown> {
    return this.scripts.run(...a);
  }
}

/** Names one store call, so a script re-sent after a lost reply recognizes its own earlier run. */
export const requestId = () => randomBytes(9).toString('base64url');

export const eventArgs = (events: readonly unknown[]) => events.map((e) => JSON.stringify(e));
