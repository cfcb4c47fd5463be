import { MemoryStore } from '../../src/engine/store/memory-store.js';
import { agentStoreContract } from './agent-store-contract.js';

agentStoreContract('memory', async () => {
  const store = new MemoryStore();
  return { store, portalId: '42', cleanup: () => store.close() };
});
