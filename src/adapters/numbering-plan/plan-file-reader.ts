import { detectPlanLayout, type PlanLayout } from '../../core/numbering/plan-layout.ts';
import { parsePlanRow, type PlanRow } from '../../core/numbering/plan-row.ts';
import { splitFields } from './csv-fields.ts';
import { InvalidTextError, LineReader, type LineReaderResult } from './line-reader.ts';

/** A problem in an input file; the message starts with `file:line:`. */
export class PlanFileError extends Error {}

export interface PlanFileRow {
  readonly lineNo: number;
  readonly row: PlanRow;
}

/**
 * Reads one registry file (DEF or ABC, any vintage) row by row: detects the encoding and the
 * layout from the header, validates each row, and reports the first problem as `file:line: …`.
 */
export class PlanFileReader {
  private readonly reader: LineReader;
  private detected: PlanLayout | null = null;

  constructor(readonly file: string, onBytes?: (bytes: number) => void) {
    this.reader = new LineReader(file, { onBytes });
  }

  /** Display name used in messages and in the history (the path as given). */
  get name(): string {
    return this.file;
  }

  get layout(): PlanLayout | null {
    return this.detected;
  }

  result(): LineReaderResult {
    return this.reader.result();
  }

  async *rows(): AsyncGenerator<PlanFileRow> {
    try {
      yield* this.parsedRows();
    } catch (err) {
      if (err instanceof InvalidTextError) throw new PlanFileError(err.message);
      throw err;
    }
  }

  private async *parsedRows(): AsyncGenerator<PlanFileRow> {
    let layout: PlanLayout | null = null;
    let headerLine = 0;
    let rows = 0;
    for await (const line of this.reader.lines()) {
      if (line.text.trim() === '') continue;
      const fields = splitFields(line.text);
      if (!layout) {
        const detected = detectPlanLayout(fields);
        if (!detected.ok) throw new PlanFileError(`${this.file}:${line.lineNo}: ${detected.reason}`);
        layout = this.detected = detected.layout;
        headerLine = line.lineNo;
        continue;
      }
      const parsed = parsePlanRow(fields, layout);
      if (!parsed.ok) throw new PlanFileError(`${this.file}:${line.lineNo}: ${parsed.reason}`);
      rows++;
      yield { lineNo: line.lineNo, row: parsed.row };
    }
    if (!layout) throw new PlanFileError(`${this.file}:1: unknown layout: the file is empty`);
    // A header alone is a failed download or export, never a plan with no numbers.
    if (rows === 0) throw new PlanFileError(`${this.file}:${headerLine}: a header and no ranges: nothing to import`);
  }
}
