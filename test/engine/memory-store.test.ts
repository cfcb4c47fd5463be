import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { storeContract } from './store-contract.js';

storeContract('memory', async () => {
  const store = new MemoryStore();
  return { store, portalId: '42', cleanup: () => store.close() };
});
