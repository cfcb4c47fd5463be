/**
 * The set of portals this backend serves, and the news when it changes.
 *
 * - Static token / local CRM: one portal, HUBSPOT_PORTAL_ID, for ever.
 * - OAuth: every portal that installed the app, read from the token store's install set (`<prefix>:hs:portals`).
 *   A portal installed later (the OAuth callback adds it to the set, in whichever process served the callback)
 *   or uninstalled (removed from the set) is picked up by re-reading the set every `everyMs`. Re-reading was
 *   chosen over a pub/sub message: a message published while a subscriber reconnects is lost for good, while the
 *   set is the truth and every re-read converges; an install waiting up to `everyMs` before its first dial is
 *   of no consequence. The process that served the callback calls `refresh()` at once.
 */
export interface PortalChange {
  added: string[];
  removed: string[];
}

export interface PortalRegistry {
  /** The portals served now. */
  portals(): string[];
  /** Reads the install set (first call: the portals at start) and reports what changed. */
  refresh(): Promise<PortalChange>;
  /** Calls `onChange` for every later change (after `refresh()` reported it). */
  start(onChange: (change: PortalChange) => Promise<void>): void;
  stop(): void;
}

/** One portal for ever (static-token and local modes). */
export function staticPortalRegistry(portalId: string): PortalRegistry {
  let first = true;
  return {
    portals: () => [portalId],
    async refresh() {
      const change = { added: first ? [portalId] : [], removed: [] };
      first = false;
      return change;
    },
    start() {},
    stop() {},
  };
}

export interface InstalledPortalRegistryOptions {
  /** The install set of the token store (TokenVault.portals). */
  installedPortals: () => Promise<string[]>;
  /** How often the set is re-read (default 5 s). */
  everyMs?: number;
  onError: (err: unknown) => void;
}

/** OAuth mode: the portals that installed the app, as they come and go. */
export function installedPortalRegistry(o: InstalledPortalRegistryOptions): PortalRegistry {
  let served = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // one read at a time: two overlapping reads could report the same portal twice
  let reading: Promise<PortalChange> = Promise.resolve({ added: [], removed: [] });
  let listener: ((change: PortalChange) => Promise<void>) | null = null;

  const read = async (): Promise<PortalChange> => {
    const now = new Set(await o.installedPortals());
    const added = [...now].filter((p) => !served.has(p)).sort();
    const removed = [...served].filter((p) => !now.has(p)).sort();
    served = now;
    const change = { added, removed };
    if (listener && (added.length || removed.length)) await listener(change);
    return change;
  };
  const registry: PortalRegistry = {
    portals: () => [...served].sort(),
    refresh() {
      reading = reading.catch(() => undefined).then(read);
      return reading;
    },
    start(onChange) {
      listener = onChange;
      const tick = () => {
        if (stopped) return;
        registry
          .refresh()
          .catch(o.onError)
          .finally(() => {
            if (stopped) return;
            timer = setTimeout(tick, o.everyMs ?? 5000);
            timer.unref();
          });
      };
      timer = setTimeout(tick, o.everyMs ?? 5000);
      timer.unref();
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
  return registry;
}
