/** The real entry point as `npm start` runs it: a bad environment stops it with a message naming the variable. */
import { describe, it, expect } from '@jest/globals';
import { spawn } from 'node:child_process';

function runMain(
  env: Record<string, string>,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/node', ['--import', 'tsx', 'src/main.ts'], {
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('src/main.ts', () => {
  it('exits 1 on a bad PORT, naming the variable and what it expects', async () => {
    const { code, stderr } = await runMain({ PORT: 'eighty' });
    expect(code).toBe(1);
    expect(stderr).toContain('Invalid configuration:');
    expect(stderr).toMatch(/^ {2}- PORT: .*number/m);
  }, 60_000);

  it('exits 1 naming every missing Twilio variable when TELEPHONY=twilio', async () => {
    const { code, stderr } = await runMain({ TELEPHONY: 'twilio' });
    expect(code).toBe(1);
    for (const name of ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'PUBLIC_BASE_URL'])
      expect(stderr).toContain(`- ${name}: required when TELEPHONY=twilio`);
  }, 60_000);

  it('exits 1 naming what CRM=hubspot still needs (Redis, the portal of the private-app token)', async () => {
    const { code, stderr } = await runMain({
      CRM: 'hubspot',
      HUBSPOT_ACCESS_TOKEN: 'x'.repeat(20),
      HUBSPOT_CLIENT_SECRET: 'y'.repeat(20),
    });
    expect(code).toBe(1);
    expect(stderr).toContain('- REDIS_URL: required when CRM=hubspot');
    expect(stderr).toContain('- HUBSPOT_PORTAL_ID: required with HUBSPOT_ACCESS_TOKEN');
  }, 60_000);
});
