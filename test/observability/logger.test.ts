import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, maskPhoneNumbers } from '../../src/observability/logger.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream, json: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('maskPhoneNumbers', () => {
  it.each([
    ['+13055550123', '+1305•••••23'],
    ['call +44 20 7946 0958 now', 'call +4420••••••58 now'],
    ['(305) 555-0123', '305•••••23'],
    ['305.555.0123', '305•••••23'],
    ['1-305-555-0123', '130••••••23'],
    ['07700 900123', '077••••••23'],
    ['020 7946 0958', '020••••••58'],
  ])('masks %s', (input, expected) => {
    expect(maskPhoneNumbers(input)).toBe(expected);
  });

  it.each([
    'attempt 550e8400-e29b-41d4-a716-446655440000',
    'at 1717171717171',
    'contact 12345',
    'stream id 1717171717171-0',
  ])('leaves non-phone text alone: %s', (input) => {
    expect(maskPhoneNumbers(input)).toBe(input);
  });
});

describe('createLogger', () => {
  it('masks numbers in the message, nested fields, arrays, errors and child bindings', async () => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    const child = log.child({ to: '+13055550123' }).child({ from: '+13055550100' });
    child.info(
      {
        contact: { id: 'c1', phone: '(305) 555-0123', numbers: ['+447700900123', 'n/a'] },
        err: new Error('Twilio refused +13055550199'),
        count: 3,
      },
      'dialing +13055550123 for contact c1',
    );
    log.warn('printf %s', '+13055550123');
    await new Promise((r) => setImmediate(r));
    const [first, second] = out.json();
    const text = out.lines.join('\n');
    expect(text).not.toMatch(/5550123|5550199|5550100|900123|555-0123/);
    expect(first).toMatchObject({
      level: 'info',
      msg: 'dialing +1305•••••23 for contact c1',
      to: '+1305•••••23',
      from: '+1305•••••00',
      contact: { id: 'c1', phone: '305•••••23', numbers: ['+4477••••••23', 'n/a'] },
      err: { message: 'Twilio refused +1305•••••99', type: 'Error' },
      count: 3,
    });
    expect(second).toMatchObject({ level: 'warn', msg: 'printf +1305•••••23' });
  });

  it('respects the level', async () => {
    const out = capture();
    const log = createLogger({ level: 'warn', destination: out.stream });
    log.info('hidden');
    log.error('shown');
    await new Promise((r) => setImmediate(r));
    expect(out.json().map((l) => l.msg)).toEqual(['shown']);
  });
});
