import { storeContract } from './store-contract.js';
import { redisStore, uniquePrefix } from './redis-helpers.js';

let n = 0;
storeContract('redis', async () => {
  const { store, cleanup } = redisStore(uniquePrefix(`store${++n}`));
  return { store, portalId: '42', cleanup };
});
