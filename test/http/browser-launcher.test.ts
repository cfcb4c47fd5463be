/**
 * The browser tests' launcher: with no system browser on PATH it falls back to the Chromium that
 * `@sparticuz/chromium` ships in node_modules, and that browser really renders a page.
 */
import { describe, it, expect, afterAll } from '@jest/globals';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { findBrowser, launchBrowser } from '../support/browser.js';

const scratch = mkdtempSync(join(tmpdir(), 'autodial-launcher-'));

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('browser launcher', () => {
  it('uses a system Chromium found on PATH', async () => {
    const bin = join(scratch, 'bin');
    mkdirSync(bin);
    symlinkSync('/bin/true', join(bin, 'chromium-browser'));
    const found = await findBrowser({ PATH: bin });
    expect(found).toMatchObject({ source: 'system', path: join(bin, 'chromium-browser') });
  });

  it('falls back to the packaged Chromium when PATH has none, and it renders a page', async () => {
    const emptyPath = join(scratch, 'empty');
    mkdirSync(emptyPath);
    const env = { PATH: emptyPath };
    await expect(findBrowser(env)).resolves.toMatchObject({ source: '@sparticuz/chromium' });

    let context: BrowserContext | undefined;
    try {
      context = await launchBrowser(join(scratch, 'profile'), { env });
      const page = await context.newPage();
      await page.setContent('<main><h1>Autodial</h1></main>');
      await expect(page.locator('h1').textContent()).resolves.toBe('Autodial');
    } finally {
      await context?.close();
    }
  });
});
