import { terminalSafe } from '../../core/text/printable.ts';

/**
 * Makes everything written to `stream` terminal-safe: values from outside (a number from a CRM
 * event, an operator name, a PBX's reason) reach the CLI's output inside text and JSON alike, so
 * the one place every command prints through escapes their control characters.
 */
export function escapeTerminalOutput(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => write(typeof chunk === 'string' ? terminalSafe(chunk) : chunk, ...rest)) as typeof stream.write;
}
