import fs from 'node:fs';

/**
 * A one-page fax for SendFAX: a bilevel TIFF 1728 pixels wide (the G3 page width), 204×98 dpi
 * (standard resolution), uncompressed, with black bars so the received page is not blank.
 */
export function writeFaxPage(file: string, rows = 400): void {
  const width = 1728;
  const rowBytes = width / 8;
  const image = Buffer.alloc(rowBytes * rows);
  for (let y = 0; y < rows; y++) {
    if (Math.floor(y / 20) % 2 === 0) continue;
    for (let x = 0; x < rowBytes; x++) if (Math.floor(x / 12) % 2 === 0) image[y * rowBytes + x] = 0xff;
  }
  const tags: [number, number, number, number][] = []; // tag, type (3 SHORT, 4 LONG, 5 RATIONAL), count, value
  const entries = 12;
  const ifdSize = 2 + entries * 12 + 4;
  const rationals = 8 + ifdSize;
  const data = rationals + 16;
  tags.push([256, 4, 1, width], [257, 4, 1, rows], [258, 3, 1, 1], [259, 3, 1, 1], [262, 3, 1, 0], [273, 4, 1, data],
    [277, 3, 1, 1], [278, 4, 1, rows], [279, 4, 1, image.length], [282, 5, 1, rationals], [283, 5, 1, rationals + 8], [296, 3, 1, 2]);
  const head = Buffer.alloc(data);
  head.write('II', 0);
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(8, 4);
  head.writeUInt16LE(entries, 8);
  tags.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    head.writeUInt16LE(tag, at);
    head.writeUInt16LE(type, at + 2);
    head.writeUInt32LE(count, at + 4);
    if (type === 3) head.writeUInt16LE(value, at + 8);
    else head.writeUInt32LE(value, at + 8);
  });
  head.writeUInt32LE(0, 10 + entries * 12);
  head.writeUInt32LE(204, rationals);
  head.writeUInt32LE(1, rationals + 4);
  head.writeUInt32LE(98, rationals + 8);
  head.writeUInt32LE(1, rationals + 12);
  fs.writeFileSync(file, Buffer.concat([head, image]));
}
