/** A small seeded PRNG (mulberry32) so every test input is reproducible from its seed. */
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

export function randomTernary(rand: () => number, count: number): Int8Array {
  const w = new Int8Array(count);
  for (let i = 0; i < count; i++) w[i] = Math.floor(rand() * 3) - 1;
  return w;
}

export function randomNormalish(rand: () => number, count: number, scale = 1): Float32Array {
  const x = new Float32Array(count);
  for (let i = 0; i < count; i++) x[i] = (rand() + rand() + rand() - 1.5) * 2 * scale;
  return x;
}
