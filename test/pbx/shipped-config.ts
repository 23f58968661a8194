import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The files an admin copies to /etc/asterisk, exactly as the repository ships them. */
export const SHIPPED_DIALPLAN = fileURLToPath(new URL('../../asterisk/extensions_connector.conf', import.meta.url));
export const SHIPPED_DIALER = fileURLToPath(new URL('../../asterisk/extensions_dialer.conf', import.meta.url));
export const SHIPPED_INBOUND = fileURLToPath(new URL('../../asterisk/extensions_inbound.conf', import.meta.url));
export const SHIPPED_MANAGER = fileURLToPath(new URL('../../asterisk/manager_connector.conf', import.meta.url));

/**
 * The shipped dialplan with only the edits docs/asterisk.md asks of an admin: the [globals]
 * values, and the contexts marked "edit these for your PBX" replaced by this PBX's own.
 * A name that is not in the shipped file fails loudly, so the docs and the file cannot drift apart.
 */
export function adminEditedDialplan(globals: Readonly<Record<string, string>>, contexts: Readonly<Record<string, string>>, file = SHIPPED_DIALPLAN): string {
  let text = fs.readFileSync(file, 'utf8');
  for (const [name, value] of Object.entries(globals)) {
    const line = new RegExp(`^${name}=.*$`, 'm');
    if (!line.test(text)) throw new Error(`${file} has no global ${name}`);
    text = text.replace(line, `${name}=${value}`);
  }
  for (const [name, body] of Object.entries(contexts)) {
    // A context runs from its [header] to the next header or to the end of the file.
    const section = new RegExp(`^\\[${name}\\][^\\n]*\\n[\\s\\S]*?(?=^\\[|(?![\\s\\S]))`, 'm');
    if (!section.test(text)) throw new Error(`${file} has no context [${name}]`);
    text = text.replace(section, `[${name}]\n${body.trim()}\n\n`);
  }
  return text;
}

/** The shipped AMI user with the secret changed, as the docs ask. */
export function adminEditedManager(secret: string): string {
  const text = fs.readFileSync(SHIPPED_MANAGER, 'utf8');
  if (!/^secret = .*$/m.test(text)) throw new Error('manager_connector.conf has no secret line');
  return text.replace(/^secret = .*$/m, `secret = ${secret}`);
}
