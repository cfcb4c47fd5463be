/**
 * Redis stream ids as the monitor accepts them: `<ms>` or `<ms>-<seq>`, each part a 64-bit unsigned integer, or
 * `$` (only new entries). A larger number would pass a digits-only check and then fail inside Redis on every
 * read, so the whole range is checked here.
 */
const SHAPE = /^(\d{1,20})(?:-(\d{1,20}))?$/;
const U64_MAX = 18446744073709551615n;

export function isValidStreamId(id: string): boolean {
  if (id === '$') return true;
  const match = SHAPE.exec(id);
  if (!match) return false;
  return BigInt(match[1]!) <= U64_MAX && (match[2] === undefined || BigInt(match[2]) <= U64_MAX);
}

/** Orders two valid concrete stream ids (not `$`): negative, zero or positive like a comparator. */
export function compareStreamIds(a: string, b: string): number {
  const [am, as = '0'] = a.split('-');
  const [bm, bs = '0'] = b.split('-');
  const ms = BigInt(am!) - BigInt(bm!);
  if (ms !== 0n) return ms < 0n ? -1 : 1;
  const seq = BigInt(as) - BigInt(bs);
  return seq === 0n ? 0 : seq < 0n ? -1 : 1;
}
