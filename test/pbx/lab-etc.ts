import fs from 'node:fs';
import path from 'node:path';
import { LAB_DIR } from './lab-asterisk.ts';
import { writeTone } from './sounds.ts';

/**
 * Edits of the lab's Asterisk config (TierOptions.etc), each what a site would have.
 */

/**
 * The lab trunk that answers talks 2 s; calls that need time to transfer, kill or hang up during
 * the call stay until hung up (at most 2 minutes).
 */
export function longAnswers(dir: string): void {
  const file = path.join(dir, 'extensions.conf');
  const text = fs.readFileSync(file, 'utf8');
  const long = text.replace(/(\[trunk-answer\][^[]*?same => n,Wait\()2\)/, '$1120)');
  if (long === text) throw new Error('the lab trunk-answer context has changed: cannot lengthen its talk');
  fs.writeFileSync(file, long);
}

/**
 * Transfers from the keypad, as a site that lets its phones transfer sets them up: the feature
 * codes in features.conf (the lab's has none) and prompts that exist (the lab has no sound files;
 * a missing announcement makes Asterisk abandon the transfer).
 */
export function transferFeatures(dir: string): void {
  const tone = writeTone(path.join(path.dirname(dir), 'sounds'), 'transfer', 0.2);
  fs.writeFileSync(path.join(dir, 'features.conf'), [
    '[general]', 'transferdigittimeout = 3', `transferannouncesound = ${tone}`, `xfersound = ${tone}`, `xferfailsound = ${tone}`,
    '[featuremap]', 'blindxfer => #1', 'atxfer => *2', '',
  ].join('\n'));
}

/**
 * The admin's CDR config of docs/asterisk.md: cdr_csv loaded, with the Uniqueid column. Returns
 * the Master.csv path (the connector's CDR_CSV_PATH).
 */
export function cdrCsv(dir: string): string {
  const lab = path.join(LAB_DIR, 'etc');
  const modules = fs.existsSync(path.join(dir, 'modules.conf')) ? path.join(dir, 'modules.conf') : path.join(lab, 'modules.conf');
  fs.writeFileSync(path.join(dir, 'modules.conf'), `${fs.readFileSync(modules, 'utf8')}\nload => cdr_csv.so\n`);
  fs.writeFileSync(path.join(dir, 'cdr.conf'), `${fs.readFileSync(path.join(lab, 'cdr.conf'), 'utf8')}\n[csv]\nloguniqueid = yes\n`);
  const logDir = path.join(path.dirname(dir), 'asterisk', 'log', 'cdr-csv');
  fs.mkdirSync(logDir, { recursive: true });
  return path.join(logDir, 'Master.csv');
}
