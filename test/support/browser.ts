/**
 * Launches a headless Chromium for browser tests on any machine: a system Chromium when one is on PATH,
 * else the one `@sparticuz/chromium` ships inside its npm package (no browser download, works offline).
 */
import { accessSync, constants, mkdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium, type BrowserContext } from 'playwright-core';

/** The system browsers we accept, in order of preference. */
const SYSTEM_BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'];

/** Flags for a quiet, sandbox-free headless run (tests run as root in containers and have no network). */
const HEADLESS_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserExecutable {
  path: string;
  source: 'system' | '@sparticuz/chromium';
  args: string[];
}

function onPath(command: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(delimiter).filter(Boolean)) {
    const candidate = join(dir, command);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}

/**
 * The browser to use: `AUTODIAL_TEST_CHROMIUM` if set, a system Chromium on `env.PATH`, else the packaged one.
 * `env` is a parameter so a test can prove the packaged fallback on a machine that has a system browser.
 */
export async function findBrowser(env: NodeJS.ProcessEnv = process.env): Promise<BrowserExecutable> {
  const forced = env.AUTODIAL_TEST_CHROMIUM;
  if (forced) return { path: forced, source: 'system', args: HEADLESS_FLAGS };
  for (const name of SYSTEM_BROWSERS) {
    const path = onPath(name, env.PATH ?? '');
    if (path) return { path, source: 'system', args: HEADLESS_FLAGS };
  }
  const { default: packaged } = await import('@sparticuz/chromium');
  // Its own flag list is tuned for Lambda; take the ones a packaged headless shell needs, not the ones that
  // weaken web security (the monitor page must behave as in a real browser).
  const weakening = [
    '--disable-web-security',
    '--allow-running-insecure-content',
    '--disable-site-isolation',
  ];
  const packagedArgs = packaged.args.filter(
    (arg) => !arg.startsWith('--headless') && !weakening.some((flag) => arg.startsWith(flag)),
  );
  return {
    path: await oneExtractionAtATime(() => packaged.executablePath()),
    source: '@sparticuz/chromium',
    args: [...new Set([...packagedArgs, ...HEADLESS_FLAGS])],
  };
}

/**
 * The package inflates its browser to a fixed path in the temp dir and trusts any file already there, so two
 * jest workers extracting at once could launch a half-written binary: extract under a lock directory.
 */
async function oneExtractionAtATime<T>(extract: () => Promise<T>): Promise<T> {
  const lock = join(tmpdir(), 'autodial-chromium-extract.lock');
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 120_000) rmSync(lock, { recursive: true, force: true }); // left by a killed run
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      await sleep(100);
    }
  }
  try {
    return await extract();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** A persistent browser context in `userDataDir` (the caller removes the directory afterwards). */
export async function launchBrowser(
  userDataDir: string,
  options: { viewport?: { width: number; height: number }; env?: NodeJS.ProcessEnv } = {},
): Promise<BrowserContext> {
  const { env, ...contextOptions } = options;
  const browser = await findBrowser(env);
  return chromium.launchPersistentContext(userDataDir, {
    ...contextOptions,
    executablePath: browser.path,
    args: browser.args,
  });
}
