/**
 * A seeded pseudo-random generator for the `random: () => number` parameters of the domain, the simulated
 * carrier and sample data: the same seed gives the same run on every platform, so simulations are repeatable.
 * mulberry32 is ten lines, fast and statistically fine for simulation (not for anything secret).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
