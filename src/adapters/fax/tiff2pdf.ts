import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { FaxDocuments } from '../../app/inbound/inbound-messages.ts';
import { relativeRecordingPath, resolveRecordingFile } from '../../app/crm/recordings.ts';

const TIFF = ['.tif', '.tiff'];

/**
 * A received fax's TIFF → a PDF beside it, with Debian's `tiff2pdf` (package libtiff-tools): the
 * fax's G3/G4 strips go into the PDF as they are, no re-encoding. The TIFF must lie inside the
 * recordings directory (plain names, no symlink out); the tool runs without a shell.
 */
export class Tiff2PdfDocuments implements FaxDocuments {
  constructor(private readonly dir: string, private readonly tool = 'tiff2pdf', private readonly timeoutMs = 60_000) {}

  async pdfOf(file: string): Promise<{ readonly file: string; readonly converted: boolean }> {
    const rel = relativeRecordingPath(this.dir, file, TIFF);
    const tiff = resolveRecordingFile(this.dir, rel, TIFF);
    const pdfRel = rel.replace(/\.tiff?$/i, '.pdf');
    const pdf = path.join(path.dirname(tiff), path.basename(pdfRel));
    const partial = `${pdf}.part`;
    await new Promise<void>((resolve, reject) => {
      execFile(this.tool, ['-o', partial, tiff], { timeout: this.timeoutMs }, (err, _out, stderr) => {
        if (err) reject(new Error(`${this.tool} failed: ${(stderr || err.message).trim().slice(0, 300)}`));
        else resolve();
      });
    });
    // Renamed only once whole: a half-written PDF is never sent.
    await fs.promises.rename(partial, pdf);
    return { file: pdfRel, converted: true };
  }
}
