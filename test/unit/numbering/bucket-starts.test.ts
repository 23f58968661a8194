import { describe, expect, it } from 'vitest';
import { bucketStarts } from '../../../src/core/numbering/bucket-starts.ts';

/** The definition, slot by slot: the first index of the code whose value is at least b × span. */
function naive(dir: Int32Array, values: Int32Array, codes: number, perCode: number, span: number): Int32Array {
  const out = new Int32Array(codes * perCode + 1);
  for (let code = 0; code < codes; code++) {
    let i = dir[code]!;
    for (let b = 0; b < perCode; b++) {
      while (i < dir[code + 1]! && values[i]! < b * span) i++;
      out[code * perCode + b] = i;
    }
  }
  out[codes * perCode] = values.length;
  return out;
}

describe('bucketStarts', () => {
  it('equals the slot-by-slot definition: empty codes, values on bucket edges, several values in one bucket, the last bucket', () => {
    const perCode = 10;
    const span = 100;
    const byCode = [[], [0, 99, 100, 101, 250, 999], [], [500], [999], [0, 1, 2, 3], []];
    const dir = new Int32Array(byCode.length + 1);
    byCode.forEach((v, c) => { dir[c + 1] = dir[c]! + v.length; });
    const values = Int32Array.from(byCode.flat());
    expect(Array.from(bucketStarts(dir, values, byCode.length, perCode, span))).toEqual(Array.from(naive(dir, values, byCode.length, perCode, span)));
  });
});
