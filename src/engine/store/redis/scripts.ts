/**
 * The store's Lua scripts (./lua) and how they run: EVALSHA, EVAL when the server answers NOSCRIPT (a restarted
 * or new node has an empty script cache; EVAL also loads it), and the same command sent again when the
 * connection dropped before the reply came. Every script is replay-safe (a second run with the same arguments
 * answers like the first and changes nothing), which is what makes re-sending correct: the store cannot know
 * whether Redis ran a command whose reply was lost.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RedisConnection } from './connection.js';
import { isConnectionError } from './connection.js';

export const SCRIPT_NAMES = [
  'claim_batch',
  'wrap_up',
  'dial_requested',
  'save_progress',
  'finish',
  'requeue',
  'set_lead',
  'enroll',
  'save_campaign',
  'mark_dialed',
  'trim_events',
  'set_lead_number',
  'agent_presence',
  'agent_answer',
  'agent_call_end',
  'agent_wrap_done',
] as const;
export type ScriptName = (typeof SCRIPT_NAMES)[number];

/** Scripts that grant pacer slots or append events include the shared pacer/event library. */
const WITH_LIBRARY = new Set<ScriptName>([
  'claim_batch',
  'wrap_up',
  'dial_requested',
  'save_progress',
  'finish',
  'set_lead',
  'save_campaign',
]);

/** Scripts that check or record dials in the portal's per-number log. */
const WITH_NUMBER_LOG = new Set<ScriptName>(['claim_batch', 'dial_requested']);

/** Read next to this module (not the working directory), so tsx, jest and the built dist all find them. */
function loadLua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}

interface Script {
  source: string;
  sha: string;
}

function buildScripts(): Record<ScriptName, Script> {
  const library = loadLua('pacer');
  const numberLog = loadLua('number_log');
  const out = {} as Record<ScriptName, Script>;
  for (const name of SCRIPT_NAMES) {
    let source = loadLua(name);
    if (WITH_NUMBER_LOG.has(name)) source = `${numberLog}\n${source}`;
    if (WITH_LIBRARY.has(name)) source = `${library}\n${source}`;
    out[name] = { source, sha: createHash('sha1').update(source).digest('hex') };
  }
  return out;
}

let compiled: Record<ScriptName, Script> | null = null;

/** One script command as sent: what a test sends again to prove the script replay-safe. */
export interface ScriptCall {
  name: ScriptName;
  keys: string[];
  args: string[];
}

/** Waits before each re-send after a connection error (the client reconnects meanwhile). */
const RESEND_DELAYS_MS = [50, 200, 500, 1000, 2000];

export class ScriptRunner {
  private readonly scripts = (compiled ??= buildScripts());
  /** Test hook: sees every script command and its reply. */
  observer: ((call: ScriptCall, reply: unknown) => void) | null = null;

  constructor(private readonly conn: RedisConnection) {}

  async run(name: ScriptName, keys: string[], args: readonly (string | number)[]): Promise<unknown> {
    const call: ScriptCall = { name, keys, args: args.map(String) };
    const reply = await this.send(call);
    this.observer?.(call, reply);
    return reply;
  }

  /** Sends `call` as is (a re-sent command carries the same request id, so the script recognizes its run). */
  async send(call: ScriptCall): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once(call);
      } catch (error) {
        const delay = RESEND_DELAYS_MS[attempt];
        if (delay === undefined || !isConnectionError(error) || !this.conn.isOpen) throw error;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  private async once({ name, keys, args }: ScriptCall): Promise<unknown> {
    const script = this.scripts[name];
    try {
      return await this.conn.evalSha(script.sha, { keys, arguments: args });
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.conn.eval(script.source, { keys, arguments: args });
    }
  }
}
