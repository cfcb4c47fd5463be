import { describe, it, expect } from '@jest/globals';
import { Writable } from 'node:stream';
import { createProgress } from '../../src/observability/progress.js';

function sink(isTTY: boolean) {
  let text = '';
  const stream = Object.assign(
    new Writable({
      write(chunk: Buffer, _enc, done) {
        text += chunk.toString('utf8');
        done();
      },
    }),
    { isTTY },
  );
  return { stream, text: () => text };
}

describe('createProgress', () => {
  it('prints plain periodic lines when the stream is not a TTY', () => {
    const out = sink(false);
    const progress = createProgress({ label: 'Import', total: 100, stream: out.stream, everyPercent: 25 });
    for (let i = 0; i < 100; i++) progress.increment();
    progress.stop();
    expect(out.text().trim().split('\n')).toEqual([
      'Import: 1/100 (1%)',
      'Import: 25/100 (25%)',
      'Import: 50/100 (50%)',
      'Import: 75/100 (75%)',
      'Import: 100/100 (100%)',
    ]);
  });

  it('prints the final count when stopped early', () => {
    const out = sink(false);
    const progress = createProgress({ label: 'Enroll', total: 10, stream: out.stream, everyPercent: 50 });
    progress.increment(3);
    progress.stop();
    expect(out.text().trim().split('\n').at(-1)).toBe('Enroll: 3/10 (30%)');
  });

  it('draws a bar on a TTY', () => {
    const out = sink(true);
    const progress = createProgress({ label: 'Import', total: 4, stream: out.stream });
    progress.increment(4);
    progress.stop();
    expect(out.text()).toContain('Import [');
    expect(out.text()).toContain('4/4');
  });
});
