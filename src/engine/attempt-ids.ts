/**
 * Attempt ids: `a.<portalId>.<random>`. The portal is in the id so a carrier callback, which carries only the
 * attempt id, finds its portal's keys without a lookup.
 */
import { randomBytes } from 'node:crypto';

/** Random bytes per attempt id (12 base64url characters, 72 bits). */
const ID_BYTES = 9;
/** One randomBytes call per this many ids: a syscall and a buffer per dial showed up in profiles. */
const IDS_PER_REFILL = 1000;
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

export function newAttemptId(portalId: string): string {
  if (idPoolOffset + ID_BYTES > idPool.length) {
    idPool = randomBytes(ID_BYTES * IDS_PER_REFILL);
    idPoolOffset = 0;
  }
  const id = idPool.toString('base64url', idPoolOffset, idPoolOffset + ID_BYTES);
  idPoolOffset += ID_BYTES;
  return `a.${portalId}.${id}`;
}

export function portalOfAttempt(attemptId: string): string | null {
  const parts = attemptId.split('.');
  return parts.length === 3 && parts[0] === 'a' ? parts[1]! : null;
}
