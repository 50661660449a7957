import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import type { NativeBridge } from '../native/bridge.js';

// Node keeps a batch of pre-generated UUIDs (lib/internal/crypto/random.js);
// consuming a whole batch forces the next call to refill from the reseeded DRBG.
const UUID_BATCH_SIZE = 128;
// crypto.randomInt draws 6 bytes per call from a cache of 6 * 1024 random bytes
// (same file): 1024 calls use up what the image holds and refill it.
const RANDOM_INT_CACHE_DRAWS = 1024;

/** OpenSSL could not reseed: the restored copy would share random state with its siblings. */
export class ReseedError extends Error {
  override name = 'ReseedError';
  readonly code = 'ERR_CRAC_RESEED_FAILED';
  constructor() {
    super('OpenSSL RAND_poll() failed: the restored copy would share random state with its siblings');
  }
}

/**
 * Makes this restored copy's randomness its own. Every copy of one image
 * starts with the same OpenSSL DRBG state, the same UUID batch, the same
 * randomInt cache and the same Math.random state; without this, two copies
 * return identical "random" values (verified on this project's machine).
 */
export function refreshRandomness(bridge: NativeBridge): void {
  if (!bridge.randPoll()) throw new ReseedError();
  for (let i = 0; i < UUID_BATCH_SIZE; i++) randomUUID();
  for (let i = 0; i < RANDOM_INT_CACHE_DRAWS; i++) randomInt(1);
  Math.random = seededMathRandom(randomBytes(16));
}

/**
 * V8 cannot reseed Math.random, and advancing its shared stream by a random
 * count only offsets copies within one sequence: replace it with xoshiro128**
 * seeded from the reseeded OpenSSL, so every copy has an independent stream.
 */
function seededMathRandom(seed: Buffer): () => number {
  let a = seed.readUInt32LE(0) | 0;
  let b = seed.readUInt32LE(4) | 0;
  let c = seed.readUInt32LE(8) | 0;
  let d = seed.readUInt32LE(12) | 1;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result;
  };
  // 53 random bits from two outputs, like V8's own doubles in [0, 1).
  return function random(): number {
    return ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  };
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
