/**
 * Bucket starts over per-code sorted values: `buckets[code * perCode + b]` is the index of the
 * code's first value that is at least b × span (the end of the code's slice when there is none);
 * the last slot is the total count. A lookup then searches one bucket instead of the whole code.
 *
 * Built with one native fill per run of buckets that share a start: a cold process (a CLI command,
 * a start) does not step through the 10^6 slots one by one in the interpreter.
 */
export function bucketStarts(dir: Int32Array, values: Int32Array, codes: number, perCode: number, span: number): Int32Array {
  const buckets = new Int32Array(codes * perCode + 1);
  for (let code = 0; code < codes; code++) {
    const base = code * perCode;
    const end = dir[code + 1]!;
    let b = 0;
    for (let i = dir[code]!; i < end && b < perCode; i++) {
      // Buckets from b up to the one holding values[i] start at i: every value before it is smaller.
      const upTo = Math.min(perCode, Math.floor(values[i]! / span) + 1);
      if (upTo > b) {
        buckets.fill(i, base + b, base + upTo);
        b = upTo;
      }
    }
    buckets.fill(end, base + b, base + perCode);
  }
  buckets[codes * perCode] = values.length;
  return buckets;
}
