/**
 * Load generator for the API benchmark (src/cli/bench-api.ts), in its own process so the requests' signing
 * and parsing do not share the server's event loop (HubSpot's cards are remote callers). Sends TOTAL signed
 * GETs of PATH_QUERY, CONCURRENCY at once, over keep-alive HTTP; prints the latencies (ms) as JSON.
 */
import { Agent, request } from 'node:http';
import { v3SignedHeaders } from '../src/cli/bench-signing.js';

const port = Number(process.env.PORT);
const path = process.env.PATH_QUERY!;
const total = Number(process.env.TOTAL ?? 1000);
const concurrency = Number(process.env.CONCURRENCY ?? 50);
const secret = process.env.SECRET!;
const base = process.env.BASE!;
const agent = new Agent({ keepAlive: true, maxSockets: concurrency });

function signedGet(): Promise<number> {
  const headers = v3SignedHeaders(secret, 'GET', `${base}${path}`);
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        agent,
        headers,
      },
      (res) => {
        res.resume();
        res.on('end', () => {
          if (res.statusCode !== 200) reject(new Error(`answered ${res.statusCode}`));
          else resolve(Number(process.hrtime.bigint() - started) / 1e6);
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

for (let i = 0; i < 100; i++) await signedGet(); // warm-up, not measured
const latencies: number[] = [];
let sent = 0;
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (sent < total) {
      sent++;
      latencies.push(await signedGet());
    }
  }),
);
agent.destroy();
process.stdout.write(JSON.stringify(latencies));
