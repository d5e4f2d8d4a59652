/**
 * Seeded, deterministic pseudo-random numbers for the engine (bootstrap, null models, shuffles).
 *
 * Generator: **xoshiro128\*\*** (Blackman & Vigna, "Scrambled linear pseudorandom number
 * generators", ACM TOMS 2021; reference C at https://prng.di.unimi.it/xoshiro128starstar.c).
 * 128 bits of state, period 2^128 - 1, passes BigCrush, and needs only 32-bit integer operations
 * (`Math.imul`, shifts, xor), which JavaScript performs exactly the same on every platform: no
 * BigInt, no floating point in the state update. Same seed, same sequence, everywhere.
 *
 * Seeding and streams: every generator has a 128-bit *key*. The key of a root generator is a hash
 * of its seed; the key of `fork(label)` is a hash of the parent's key and the label. The state
 * starts from the key (each word through the splitmix32 finalizer, which is a bijection), so:
 * - `fork` reads only the parent's key, never its current state, and does not advance it: the
 *   stream of a fork does not depend on how many numbers the parent (or any sibling) has drawn,
 *   and adding a new consumer `fork('x')` changes no other stream;
 * - `fork('a').fork('b')` and `fork('b').fork('a')` are different streams.
 *
 * The hash is MurmurHash3_x86_32 (Appleby, SMHasher) run four times with seeds 0..3 over
 * `tag ‖ payload`, giving four 32-bit key words (tag 1: numeric seed as 8 little-endian bytes,
 * tag 2: string seed as UTF-8, tag 3: parent key as 16 little-endian bytes ‖ label as UTF-8).
 * Strings are encoded with `TextEncoder` (UTF-8), so non-ASCII labels are platform independent too.
 */

/** A seed: a safe integer (negative allowed) or any string. */
export type Seed = number | string;

const TWO_32 = 4294967296;
const TWO_53 = 9007199254740992;
const encoder = new TextEncoder();

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** MurmurHash3_x86_32 of `bytes` with a 32-bit `seed`; returns an unsigned 32-bit integer. */
export function murmur3_32(bytes: Uint8Array, seed: number): number {
  const c1 = 0xcc9e2d51;
  const c2 = 0x1b873593;
  let h = seed >>> 0;
  const n = bytes.length;
  const blocks = n & ~3;
  for (let i = 0; i < blocks; i += 4) {
    let k = bytes[i] | (bytes[i + 1] << 8) | (bytes[i + 2] << 16) | (bytes[i + 3] << 24);
    k = Math.imul(k, c1);
    k = rotl(k, 15);
    k = Math.imul(k, c2);
    h ^= k;
    h = rotl(h, 13);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  const tail = n & 3;
  if (tail > 0) {
    let k = 0;
    if (tail === 3) k ^= bytes[blocks + 2] << 16;
    if (tail >= 2) k ^= bytes[blocks + 1] << 8;
    k ^= bytes[blocks];
    k = Math.imul(k, c1);
    k = rotl(k, 15);
    k = Math.imul(k, c2);
    h ^= k;
  }
  h ^= n;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** splitmix32 finalizer: a bijection on 32-bit words with good avalanche. */
function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function key128(tag: number, payload: Uint8Array): [number, number, number, number] {
  const bytes = new Uint8Array(payload.length + 1);
  bytes[0] = tag;
  bytes.set(payload, 1);
  return [murmur3_32(bytes, 0), murmur3_32(bytes, 1), murmur3_32(bytes, 2), murmur3_32(bytes, 3)];
}

function putU32(out: Uint8Array, at: number, v: number): void {
  out[at] = v & 0xff;
  out[at + 1] = (v >>> 8) & 0xff;
  out[at + 2] = (v >>> 16) & 0xff;
  out[at + 3] = (v >>> 24) & 0xff;
}

function seedKey(seed: Seed): [number, number, number, number] {
  if (typeof seed === 'string') return key128(2, encoder.encode(seed));
  if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer or a string, got ${seed}`);
  // Two's complement 64-bit little-endian: low word, then high word.
  const lo = seed >>> 0; // ToUint32 is exact modulo 2^32 for every safe integer
  const hi = Math.floor(seed / TWO_32) >>> 0;
  const b = new Uint8Array(8);
  putU32(b, 0, lo);
  putU32(b, 4, hi);
  return key128(1, b);
}

/** A xoshiro128** stream. Create with {@link createRng}; derive independent streams with {@link Rng.fork}. */
export class Rng {
  /** The four 32-bit state words (int32 columns: as object fields, words above 2^30 were boxed numbers). */
  private readonly s = new Int32Array(4);
  private readonly key: readonly [number, number, number, number];

  private constructor(key: readonly [number, number, number, number], state?: readonly [number, number, number, number]) {
    this.key = key;
    const s = state ?? [splitmix32(key[0]), splitmix32(key[1]), splitmix32(key[2]), splitmix32(key[3])];
    this.s[0] = s[0] | 0;
    this.s[1] = s[1] | 0;
    this.s[2] = s[2] | 0;
    this.s[3] = s[3] | 0;
    // The all-zero state is the one fixed point of xoshiro; a 2^-128 event, but never allow it.
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** A root generator for `seed`. */
  static fromSeed(seed: Seed): Rng {
    return new Rng(seedKey(seed));
  }

  /**
   * A generator whose xoshiro128** state is exactly `state` (four 32-bit words, not all zero).
   * For cross-checking against the reference C implementation; `fork` of it hashes `state` as key.
   */
  static fromState(state: readonly [number, number, number, number]): Rng {
    const s = [state[0] >>> 0, state[1] >>> 0, state[2] >>> 0, state[3] >>> 0] as const;
    if ((s[0] | s[1] | s[2] | s[3]) === 0) throw new RangeError('xoshiro128** state must not be all zero');
    return new Rng(s, s);
  }

  /** Next unsigned 32-bit integer, uniform on [0, 2^32). */
  nextUint32(): number {
    const st = this.s;
    const s1 = st[1];
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    st[2] ^= st[0];
    st[3] ^= s1;
    st[1] ^= st[2];
    st[0] ^= st[3];
    st[2] ^= t;
    st[3] = rotl(st[3], 11);
    return result >>> 0;
  }

  /**
   * Uniform on [0, 1) with 53 random bits (two 32-bit draws: top 27 and top 26 bits). The two
   * steps are nextUint32's, written out on locals: through the calls each uint32 above 2^31 came
   * back as a boxed number (the simulator draws millions of these per simulated hour).
   */
  nextFloat(): number {
    const st = this.s;
    let s0 = st[0];
    let s1 = st[1];
    let s2 = st[2];
    let s3 = st[3];
    const a = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 5;
    let t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    const b = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 6;
    t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    st[0] = s0;
    st[1] = s1;
    st[2] = s2;
    st[3] = rotl(s3, 11);
    return (a * 67108864 + b) / TWO_53;
  }

  /**
   * Uniform integer on [0, n), exactly unbiased (rejection sampling), for 1 <= n <= 2^53 - 1.
   * n <= 2^32 uses one 32-bit draw per attempt; larger n uses 53-bit draws.
   */
  nextInt(n: number): number {
    if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`nextInt: n must be a safe integer >= 1, got ${n}`);
    if (n <= TWO_32) {
      const limit = TWO_32 - (TWO_32 % n); // largest multiple of n that is <= 2^32
      for (;;) {
        const u = this.nextUint32();
        if (u < limit) return u % n;
      }
    }
    const limit = TWO_53 - (TWO_53 % n);
    for (;;) {
      const u = (this.nextUint32() >>> 5) * 67108864 + (this.nextUint32() >>> 6);
      if (u < limit) return u % n;
    }
  }

  /** Fisher–Yates (Durstenfeld) shuffle, in place; returns `array`. Every permutation equally likely. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }

  /**
   * An independent stream derived from this generator's key and `label`. Does not advance this
   * generator; independent of how many numbers were drawn so far; same label, same stream.
   */
  fork(label: string): Rng {
    const lb = encoder.encode(label);
    const payload = new Uint8Array(16 + lb.length);
    for (let i = 0; i < 4; i++) putU32(payload, 4 * i, this.key[i]);
    payload.set(lb, 16);
    return new Rng(key128(3, payload));
  }
}

/** A root generator for `seed` (same as {@link Rng.fromSeed}). */
export function createRng(seed: Seed): Rng {
  return Rng.fromSeed(seed);
}
