import { agentStoreContract } from './agent-store-contract.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

let n = 0;
agentStoreContract('redis', async () => {
  const { store, cleanup } = redisStore(uniquePrefix(`agents${++n}`));
  return { store, portalId: '42', cleanup };
});
