/**
 * Masking against a corpus of phone number spellings (issue 10 finding 5): URL-encoded (once and twice),
 * slashes, full-width digits, dots, spaces, dashes, parentheses, in every place a log line can carry text.
 */
import { describe, expect, it } from '@jest/globals';
import { Writable } from 'node:stream';
import { createLogger, maskPhoneNumbers } from '../../src/observability/logger.js';

/** [spelling, the subscriber digits that must not survive] */
const CORPUS: [string, string][] = [
  ['+12125550199', '5550199'],
  ['%2B12125550199', '5550199'],
  ['%252B12125550199', '5550199'],
  ['To=%2B12125550199&From=%2B13055550123', '5550199'],
  ['From=%2B13055550123', '5550123'],
  ['+1/305/555/0123', '5550123'],
  ['305/555/0123', '5550123'],
  ['＋１２１２５５５０１９９', '5550199'],
  ['２１２５５５０１９９', '5550199'],
  ['+1.212.555.0199', '5550199'],
  ['+1 212 555 0199', '5550199'],
  ['+1 (212) 555-0199', '5550199'],
  ['(212) 555-0199', '5550199'],
  ['212.555.0199', '5550199'],
  ['1-212-555-0199', '5550199'],
  ['+1\u2013212\u2013555\u20130199', '5550199'],
  ['+1\u00a0212\u00a0555\u00a00199', '5550199'],
  ['tel:+12125550199', '5550199'],
  ['/twilio/status?attemptId=a1&To=%2B12125550199', '5550199'],
  ['+44 20 7946 0958', '79460958'],
  ['%2B44%2020%207946%200958', '79460958'],
];

/** The text as a reader would see it: decoded, full-width folded, separators dropped. */
function readable(text: string): string {
  let out = text;
  for (let i = 0; i < 3; i++) {
    try {
      out = decodeURIComponent(out);
    } catch {
      break;
    }
  }
  return out.normalize('NFKC').replace(/[\s./()\-\u2010-\u2015+%\\]/g, '');
}

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  return { lines, stream };
}

describe('masking a corpus of number spellings', () => {
  it.each(CORPUS)('maskPhoneNumbers(%s) hides the subscriber digits', (spelling, digits) => {
    expect(readable(maskPhoneNumbers(spelling))).not.toContain(digits);
  });

  it.each(CORPUS)('a log line never carries %s in any field', async (spelling, digits) => {
    const out = capture();
    const log = createLogger({ level: 'info', destination: out.stream });
    log.child({ binding: spelling }).warn(
      {
        path: `/twilio/status?x=${spelling}`,
        nested: { deeper: [spelling], [`key ${spelling}`]: 1 },
        err: new Error(`failed for ${spelling}`),
      },
      `message ${spelling} and %s and %j`,
      spelling,
      { arg: spelling },
    );
    await new Promise((r) => setImmediate(r));
    expect(out.lines).toHaveLength(1);
    expect(readable(out.lines[0]!)).not.toContain(digits);
  });

  it.each(['stream id 1717171717171-0', 'attempt a-550e8400', 'at 2026-12-04T16:57:28.000Z', 'progress 50%'])(
    'leaves %s alone',
    (text) => {
      expect(maskPhoneNumbers(text)).toBe(text);
    },
  );
});
