import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { MessageFiles } from '../../app/inbound/inbound-messages.ts';
import { relativeRecordingPath, resolveRecordingFile } from '../../app/crm/recordings.ts';

const TIFF = ['.tif', '.tiff'];
/** A WAV header plus 0.1 s of 8 kHz 16-bit sound: less is a caller who hung up at the beep. */
const MIN_VOICEMAIL_BYTES = 44 + 1600;

/**
 * Voicemail and fax files in the recordings directory. A received fax's TIFF → a PDF beside it,
 * with Debian's `tiff2pdf` (package libtiff-tools): the fax's G3/G4 strips go into the PDF as they
 * are, no re-encoding. Files must lie inside the directory (plain names, no symlink out); the tool
 * runs without a shell.
 */
export class MessageFilesOnDisk implements MessageFiles {
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

  async hasSound(file: string): Promise<boolean> {
    const abs = resolveRecordingFile(this.dir, relativeRecordingPath(this.dir, file));
    return (await fs.promises.stat(abs)).size >= MIN_VOICEMAIL_BYTES;
  }
}
