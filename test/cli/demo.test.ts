/**
 * The demo end to end, in-process, on a small list and a very fast clock: the report's compliance lines hold
 * (no DNC number dialed, nobody called out of hours, one CRM record per finished attempt, every lead final).
 */
import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { DemoUsageError, parseDemoArgs, runDemo } from '../../src/cli/demo.js';
import { formatReport } from '../../src/cli/demo-report.js';

function sink() {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { out, text: () => text };
}

describe('parseDemoArgs', () => {
  it('applies the defaults and parses every flag', () => {
    expect(parseDemoArgs([])).toMatchObject({ contacts: 2000, speed: 7200, port: 3000, days: 6 });
    const options = parseDemoArgs([
      '--contacts',
      '50',
      '--speed=30000',
      '--mix',
      'answer=0.5,busy=0.2,no-answer=0.3',
      '--port',
      '0',
      '--seed',
      '7',
      '--days',
      '2',
    ]);
    expect(options).toMatchObject({ contacts: 50, speed: 30000, port: 0, seed: 7, days: 2 });
    expect(options.mix).toEqual({ human: 0.5, busy: 0.2, 'no-answer': 0.3 });
  });

  it('names the bad flag and why', () => {
    expect(() => parseDemoArgs(['--contacts', 'many'])).toThrow(/--contacts: .*number/);
    expect(() => parseDemoArgs(['--speed=-3'])).toThrow(/--speed: /);
    expect(() => parseDemoArgs(['--mix', 'answer=0.5,ringing=0.5'])).toThrow(
      /--mix: unknown outcome "ringing"/,
    );
    expect(() => parseDemoArgs(['--mix', 'busy=lots'])).toThrow(/--mix: "busy=lots" must be outcome=weight/);
    expect(() => parseDemoArgs(['--colour', 'red'])).toThrow(DemoUsageError);
    expect(() => parseDemoArgs(['--colour', 'red'])).toThrow(/--colour/);
  });
});

describe('runDemo', () => {
  it('runs a multi-day campaign whose report proves the compliance invariants', async () => {
    const { out, text } = sink();
    // The demo's own simulation clock: fast, yet every timer fires in simulated order.
    const options = parseDemoArgs(['--contacts', '80', '--speed', '100000', '--days', '6', '--seed', '11']);
    const report = await runDemo(options, { out, tty: false, serve: false, env: {}, pollMs: 100 });
    expect(report.failures).toEqual([]);
    expect(report.enrolled).toBeGreaterThan(0);
    expect(report.attempts).toBeGreaterThanOrEqual(report.enrolled);
    expect(report.dncNumbersDialed).toBe(0);
    expect(report.outOfHoursCalls).toBe(0);
    const hours = Object.keys(report.callsByLocalHour).map(Number);
    expect(Math.min(...hours)).toBeGreaterThanOrEqual(8);
    expect(Math.max(...hours)).toBeLessThan(21);
    expect(report.crmRecordsWritten).toBe(report.placedCalls);
    expect(report.finishedAttempts).toBe(report.attempts);
    // Every call reports its end before its lease runs out, whatever the machine's speed: none is lost.
    expect(report.outcomes['No final call status (lost)'] ?? 0).toBe(0);
    // Retries run over several simulated days.
    expect(report.simulatedDays).toBeGreaterThan(1);
    const { queued, dialing, retrying } = report.leadStates;
    expect(queued + dialing + retrying).toBe(0);
    expect(report.skipped.DNC ?? 0).toBeGreaterThan(0);
    expect(report.skipped.INVALID_NUMBER ?? 0).toBeGreaterThan(0);
    expect(text()).toContain('Enrolling');
    const printed = formatReport(report);
    expect(printed).toContain('DNC numbers dialed: 0');
    expect(printed).toContain('All checks passed.');
  }, 180_000);
});
