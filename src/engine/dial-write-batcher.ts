/**
 * Coalesces the per-dial writes of one dispatch tick — the send-time notes and the carrier call ids — into one
 * round trip each per portal (store.noteDispatchedMany / markDialedMany). Writes queued in the same event-loop
 * turn (the sends of one tick go out together) flush together on the next turn (setImmediate).
 *
 * Why a crash between send and flush is safe: both writes are corrections of state the claim already made
 * durable. A lost send-time note leaves the grant at its slot time in the rate window (earlier than the real
 * send, so it still counts against the limit; the pending entry only ever blocks more). A lost dial mark
 * leaves the attempt dial-requested without a call id: its callbacks still fold by attempt id, and the reaper
 * settles it when its lease ends. Neither loss can dial a number again or exceed a limit.
 */
import type { Store } from './store/store.js';
import type { DialedMark, DispatchNote } from './store/store.js';

interface PendingMark extends DialedMark {
  resolve: (marked: boolean) => void;
  reject: (error: unknown) => void;
}

interface PendingNote extends DispatchNote {
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class DialWriteBatcher {
  private notes = new Map<string, PendingNote[]>();
  private marks = new Map<string, PendingMark[]>();
  private scheduled = false;

  constructor(private readonly store: Pick<Store, 'noteDispatchedMany' | 'markDialedMany'>) {}

  /** The send-time note (its `at` is the clock reading taken at the send, never the flush time). */
  noteDispatched(portalId: string, note: DispatchNote): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue(this.notes, portalId, { ...note, resolve, reject });
    });
  }

  /** The carrier's call id, queued only after the carrier accepted the dial; answers like markDialed. */
  markDialed(portalId: string, mark: DialedMark): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue(this.marks, portalId, { ...mark, resolve, reject });
    });
  }

  private queue<T>(into: Map<string, T[]>, portalId: string, item: T) {
    const list = into.get(portalId);
    if (list) list.push(item);
    else into.set(portalId, [item]);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush() {
    this.scheduled = false;
    const notes = this.notes;
    const marks = this.marks;
    this.notes = new Map();
    this.marks = new Map();
    for (const [portalId, batch] of notes) {
      const plain = batch.map(({ attemptId, levels, at }) => ({ attemptId, levels, at }));
      this.store.noteDispatchedMany(portalId, plain).then(
        () => batch.forEach((n) => n.resolve()),
        (error: unknown) => batch.forEach((n) => n.reject(error)),
      );
    }
    for (const [portalId, batch] of marks) {
      const plain = batch.map(({ attemptId, providerCallId }) => ({ attemptId, providerCallId }));
      this.store.markDialedMany(portalId, plain).then(
        (answers) => batch.forEach((m, i) => m.resolve(answers[i] ?? false)),
        (error: unknown) => batch.forEach((m) => m.reject(error)),
      );
    }
  }
}
