/** The node-redis client type used by the HubSpot adapter, and a connect helper. */
import { createClient } from 'redis';

export type RedisClient = ReturnType<typeof createClient>;

export async function connectRedis(url: string, onError?: (err: Error) => void): Promise<RedisClient> {
  const client = createClient({ url });
  client.on('error', (err: Error) => onError?.(err));
  await client.connect();
  return client;
}
