/**
 * Imports a national Do-Not-Call registry file into one portal's DNC set and records its version date.
 *
 *   npm run import-dnc-registry -- --portal 123 --file registry.csv --version-date 2026-11-30 [--skip-bad-rows]
 *
 * Needs REDIS_URL (the numbers go where the engine checks them). A file with bad rows imports nothing unless
 * --skip-bad-rows is given; each bad row is printed with its line and why.
 */
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { z } from 'zod';
import { loadEnv } from '../config/env.js';
import { RedisStore } from '../engine/store/redis-store.js';
import { connectRedis } from '../engine/store/redis/connection.js';
import type { RedisClient } from '../engine/store/redis/connection.js';
import { RegistryStore, VersionDateSchema, importRegistryFile } from '../crm/hubspot/inbound/dnc-registry.js';

const ArgsSchema = z.object({
  portal: z.string().regex(/^\d{1,20}$/, '--portal: expected the numeric HubSpot portal id'),
  file: z.string().min(1, '--file: expected the path of the registry CSV file'),
  'version-date': VersionDateSchema,
  'skip-bad-rows': z.boolean().default(false),
});

export async function main(
  argv = process.argv.slice(2),
  out: NodeJS.WritableStream = process.stdout,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      portal: { type: 'string' },
      file: { type: 'string' },
      'version-date': { type: 'string' },
      'skip-bad-rows': { type: 'boolean' },
    },
  });
  const args = ArgsSchema.safeParse(values);
  if (!args.success) {
    out.write(
      `${args.error.issues.map((i) => `${i.path.join('.') || 'arguments'}: ${i.message}`).join('\n')}\n`,
    );
    return 2;
  }
  const env = loadEnv();
  if (!env.REDIS_URL) {
    out.write('REDIS_URL: required (the registry goes into the Redis the engine reads)\n');
    return 2;
  }
  const redis = (await connectRedis({ url: env.REDIS_URL }, (message, error) =>
    out.write(`${message}: ${error.message}\n`),
  )) as RedisClient;
  try {
    const report = await importRegistryFile({
      store: new RedisStore({ redis, keyPrefix: env.REDIS_KEY_PREFIX }),
      registry: new RegistryStore(redis, env.REDIS_KEY_PREFIX),
      portalId: args.data.portal,
      file: args.data.file,
      versionDate: args.data['version-date'],
      defaultRegion: env.DEFAULT_REGION,
      now: Date.now(),
      skipBadRows: args.data['skip-bad-rows'],
      onProgress: (n) => out.write(`\r${n.toLocaleString('en-US')} numbers imported`),
    });
    for (const bad of report.badRows)
      out.write(`line ${bad.line}: ${JSON.stringify(bad.value)}: ${bad.reason}\n`);
    if (!report.applied) {
      out.write(
        `${report.badRows.length} bad row(s); nothing imported (use --skip-bad-rows to import the rest)\n`,
      );
      return 1;
    }
    out.write(`\nregistry version ${args.data['version-date']}: ${report.imported} numbers imported\n`);
    return 0;
  } finally {
    await redis.close();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exit(1);
    },
  );
}
