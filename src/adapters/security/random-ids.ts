import crypto from 'node:crypto';

/**
 * Random ids of `bytes` bytes as hex, cut from a pool drawn 4 KB at a time: one call to the
 * system's random source per 512 ids of 8 bytes, not one per id (one per click).
 */
export function randomHexIds(bytes: number): () => string {
  let pool = Buffer.alloc(0);
  let at = 0;
  return () => {
    if (at + bytes > pool.length) {
      pool = crypto.randomBytes(Math.max(4096, bytes));
      at = 0;
    }
    const id = pool.toString('hex', at, at + bytes);
    at += bytes;
    return id;
  };
}
