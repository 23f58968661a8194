/**
 * The column layouts the numbering-plan registry has used over the years. Detected from the
 * header by column count and marker words, never by an exact string: the header starts with a
 * Cyrillic "АВС" (not Latin), spacing and case vary between re-saves.
 */
export interface PlanLayout {
  /** 6 (2014, 2020), 7 (2023: + ИНН) or 8 (current: + Территория ГАР + ИНН). */
  readonly columns: 6 | 7 | 8;
  readonly codeCol: number;
  readonly fromCol: number;
  readonly toCol: number;
  readonly capacityCol: number;
  readonly operatorCol: number;
  readonly regionCol: number;
  /** `Территория ГАР`, preferred over `Регион` when present and filled. */
  readonly garCol: number | null;
  readonly innCol: number | null;
}

export type LayoutResult = { readonly ok: true; readonly layout: PlanLayout } | { readonly ok: false; readonly reason: string };

function squash(s: string): string {
  return s.replace(/^\uFEFF/, '').toLowerCase().replace(/ё/g, 'е').replace(/\s+/g, ' ').trim();
}

function indexOfMarker(cells: readonly string[], test: (c: string) => boolean): number {
  return cells.findIndex(test);
}

/** Detects the layout from the header row's fields. */
export function detectPlanLayout(header: readonly string[]): LayoutResult {
  const cells = header.map(squash);
  const n = cells.length;
  const at = (test: (c: string) => boolean): number => indexOfMarker(cells, test);
  const capacityCol = at((c) => c.startsWith('емкост'));
  const fromCol = at((c) => c === 'от' || c.startsWith('от ') || c === 'from');
  const toCol = at((c) => c === 'до' || c.startsWith('до ') || c === 'to');
  const operatorCol = at((c) => c.startsWith('оператор'));
  const regionCol = at((c) => c.startsWith('регион'));
  const innCol = at((c) => c === 'инн' || c.startsWith('инн '));
  const garCol = at((c) => c.includes('территория') && c.includes('гар'));
  // The code column is "АВС/ DEF" (Cyrillic or Latin letters, any spacing).
  const codeCol = at((c) => /(авс|abc)\s*\/\s*(def|деф)/.test(c) || c === 'def' || c === 'abc' || c === 'авс');

  const missing: string[] = [];
  if (codeCol < 0) missing.push('"АВС/ DEF"');
  if (fromCol < 0) missing.push('"От"');
  if (toCol < 0) missing.push('"До"');
  if (capacityCol < 0) missing.push('"Емкость"');
  if (operatorCol < 0) missing.push('"Оператор"');
  if (regionCol < 0) missing.push('"Регион"');
  if (missing.length > 0) {
    return { ok: false, reason: `unknown layout: the header (${n} columns) lacks ${missing.join(', ')}` };
  }
  const hasInn = innCol >= 0;
  const hasGar = garCol >= 0;
  let columns: 6 | 7 | 8;
  if (n === 6 && !hasInn && !hasGar) columns = 6;
  else if (n === 7 && hasInn && !hasGar) columns = 7;
  else if (n === 8 && hasInn && hasGar) columns = 8;
  else {
    return {
      ok: false,
      reason: `unknown layout: ${n} columns${hasInn ? ' with' : ' without'} "ИНН" and${hasGar ? ' with' : ' without'} "Территория ГАР" (known: 6 columns; 7 with ИНН; 8 with Территория ГАР and ИНН)`,
    };
  }
  return {
    ok: true,
    layout: {
      columns, codeCol, fromCol, toCol, capacityCol, operatorCol, regionCol,
      garCol: hasGar ? garCol : null,
      innCol: hasInn ? innCol : null,
    },
  };
}
