/**
 * Splits one line of a `;`-separated registry file. Official files have no quoting but names
 * contain bare quotes (`ПАО "МегаФон"`); Excel/pandas re-saves quote fields RFC-4180 style
 * (`"ООО ""Т2 Мобайл"""`). A field is unquoted only when it starts with `"` and its closing
 * quote is followed by the separator or the end of the line; otherwise it is taken literally.
 */
export function splitFields(line: string, separator = ';'): string[] {
  if (!line.includes('"')) return line.split(separator);
  const out: string[] = [];
  let i = 0;
  const n = line.length;
  while (i <= n) {
    if (line[i] === '"') {
      const quoted = readQuoted(line, i, separator);
      if (quoted) {
        out.push(quoted.value);
        i = quoted.next + 1;
        if (quoted.next >= n) return out;
        continue;
      }
    }
    const sep = line.indexOf(separator, i);
    if (sep < 0) {
      out.push(line.slice(i));
      return out;
    }
    out.push(line.slice(i, sep));
    i = sep + 1;
  }
  return out;
}

/** Reads `"…"` from `start`; null when the field is not a well-formed quoted field. */
function readQuoted(line: string, start: number, separator: string): { value: string; next: number } | null {
  let value = '';
  let i = start + 1;
  for (;;) {
    const q = line.indexOf('"', i);
    if (q < 0) return null;
    value += line.slice(i, q);
    if (line[q + 1] === '"') {
      value += '"';
      i = q + 2;
      continue;
    }
    const after = q + 1;
    if (after === line.length || line.startsWith(separator, after)) return { value, next: after };
    return null;
  }
}
