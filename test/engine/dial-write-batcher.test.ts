import { DialWriteBatcher } from '../../src/engine/dial-write-batcher.js';
import type { DialedMark, DispatchNote } from '../../src/engine/store/store.js';

function recordingStore(fail = false) {
  const calls: { op: string; portalId: string; items: unknown[] }[] = [];
  return {
    calls,
    noteDispatchedMany: async (portalId: string, notes: readonly DispatchNote[]) => {
      calls.push({ op: 'notes', portalId, items: [...notes] });
      if (fail) throw new Error('down');
    },
    markDialedMany: async (portalId: string, marks: readonly DialedMark[]) => {
      calls.push({ op: 'marks', portalId, items: [...marks] });
      if (fail) throw new Error('down');
      return marks.map((m) => m.providerCallId !== 'stale');
    },
  };
}

test('one tick of sends flushes in one batch per portal and kind, keeping each send time', async () => {
  const store = recordingStore();
  const batcher = new DialWriteBatcher(store);
  const notes = [1, 2, 3].map((i) =>
    batcher.noteDispatched('p1', { attemptId: `a${i}`, levels: ['acct'], at: 1000 + i }),
  );
  const other = batcher.noteDispatched('p2', { attemptId: 'b1', levels: ['acct'], at: 5 });
  const marks = [
    batcher.markDialed('p1', { attemptId: 'a1', providerCallId: 'CA1' }),
    batcher.markDialed('p1', { attemptId: 'a2', providerCallId: 'stale' }),
  ];
  await Promise.all([...notes, other]);
  expect(await Promise.all(marks)).toEqual([true, false]);
  expect(store.calls.map((c) => [c.op, c.portalId, c.items.length])).toEqual([
    ['notes', 'p1', 3],
    ['notes', 'p2', 1],
    ['marks', 'p1', 2],
  ]);
  expect(store.calls[0]!.items.map((n) => (n as DispatchNote).at)).toEqual([1001, 1002, 1003]);
});

test('a later tick flushes separately, and a failed flush rejects each of its writes', async () => {
  const store = recordingStore(true);
  const batcher = new DialWriteBatcher(store);
  await expect(batcher.markDialed('p1', { attemptId: 'a1', providerCallId: 'CA1' })).rejects.toThrow('down');
  await expect(batcher.noteDispatched('p1', { attemptId: 'a2', levels: [], at: 1 })).rejects.toThrow('down');
  expect(store.calls.map((c) => c.op)).toEqual(['marks', 'notes']);
});
