/** Wake-ups in memory: an EventEmitter per store. */
import type { WakeUps } from '../store.js';
import type { MemoryState } from './state.js';

export class MemoryWakeUps implements WakeUps {
  constructor(private readonly s: MemoryState) {}

  async wake(portalId: string) {
    this.s.wakes.emit(portalId, 'wake');
  }

  async onWake(portalId: string, listener: (reason: string) => void) {
    this.s.wakes.on(portalId, listener);
    return async () => {
      this.s.wakes.off(portalId, listener);
    };
  }
}
