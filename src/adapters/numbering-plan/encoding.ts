export type TextEncodingName = 'utf-8' | 'windows-1251';

const BOM = [0xef, 0xbb, 0xbf];

export function hasUtf8Bom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2];
}

/** Drops an incomplete UTF-8 sequence at the end of a sample cut mid-character. */
function trimPartialUtf8(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  let back = 0;
  while (end > 0 && back < 3 && (bytes[end - 1]! & 0xc0) === 0x80) {
    end--;
    back++;
  }
  if (end > 0 && bytes[end - 1]! >= 0xc0) return bytes.subarray(0, end - 1);
  return bytes;
}

/**
 * Registry files are UTF-8 (with or without BOM) since about 2020 and windows-1251 before:
 * a sample that is not valid UTF-8 is windows-1251 (Cyrillic in cp1251 is never valid UTF-8
 * for more than a few bytes).
 */
export function detectEncoding(sample: Uint8Array): TextEncodingName {
  if (hasUtf8Bom(sample)) return 'utf-8';
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(trimPartialUtf8(sample));
    return 'utf-8';
  } catch {
    return 'windows-1251';
  }
}
