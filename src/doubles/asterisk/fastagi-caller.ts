import net from 'node:net';
import type { Logger } from '../../adapters/logging/logger.ts';
import { answerAgiCommand, type AgiChannelAccess } from './agi-commands.ts';
import { ResAgiLineReader } from './res-agi-reader.ts';

export interface FastAgiTarget {
  readonly host: string;
  readonly port: number;
  /** The path of the AGI URL (`route` in `agi://host:port/route`). */
  readonly script?: string;
}

export interface AgiRequest {
  readonly target: FastAgiTarget;
  readonly env: ReadonlyArray<readonly [string, string]>;
  readonly args: readonly string[];
  readonly channel: AgiChannelAccess;
  /** Safety net: Asterisk itself waits for as long as the channel lives. */
  readonly giveUpMs: number;
  /** AGISTATUS when the session is abandoned (default SUCCESS: res_agi's own view of a closed session). */
  readonly giveUpStatus?: string;
  /** Aborts the session (the double is closing). */
  readonly signal: AbortSignal;
  readonly logger: Logger;
}

export function agiUrl(t: FastAgiTarget): string {
  return `agi://${t.host}:${t.port}/${t.script ?? 'route'}`;
}

/**
 * Plays Asterisk's side of one FastAGI session: connects, sends the agi_* block and a blank line,
 * answers each command line until the server closes the socket. Resolves with AGISTATUS: SUCCESS
 * when the session ran, FAILURE when the server could not be reached.
 */
export function callFastAgi(req: AgiRequest): Promise<string> {
  return new Promise((resolve) => {
    let connected = false;
    let settled = false;
    const reader = new ResAgiLineReader();
    const socket = net.connect({ host: req.target.host, port: req.target.port });
    socket.setEncoding('utf8');
    const finish = (status: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      req.signal.removeEventListener('abort', onAbort);
      socket.destroy();
      resolve(status);
    };
    const onAbort = (): void => finish('FAILURE');
    req.signal.addEventListener('abort', onAbort);
    const guard = setTimeout(() => {
      req.logger.warn({ target: agiUrl(req.target) }, 'PBX double: FastAGI server kept the session open too long; closing it');
      finish(req.giveUpStatus ?? 'SUCCESS');
    }, req.giveUpMs);
    if (req.signal.aborted) finish('FAILURE');
    socket.on('connect', () => {
      connected = true;
      const lines = req.env.map(([k, v]) => `${k}: ${v}\n`);
      req.args.forEach((a, i) => lines.push(`agi_arg_${i + 1}: ${a}\n`));
      socket.write(`${lines.join('')}\n`);
    });
    // Commands are taken off the socket the way res_agi does (pipelined lines stall until more
    // bytes or EOF arrive); at EOF the buffered ones still run, their replies going nowhere.
    const execute = (line: string): void => {
      if (line.trim() === '') return;
      const reply = answerAgiCommand(line, req.channel);
      if (socket.writable) socket.write(`${reply}\n`);
    };
    socket.on('data', (chunk: string) => {
      for (const line of reader.data(chunk)) execute(line);
      if (reader.stalled > 0) req.logger.warn({ target: agiUrl(req.target), stalled: reader.stalled }, 'PBX double: the FastAGI server pipelined commands; like Asterisk, the extra lines wait for more bytes or EOF');
    });
    socket.on('end', () => {
      for (const line of reader.end()) execute(line);
    });
    socket.on('error', (err) => {
      if (!connected) req.logger.info({ target: agiUrl(req.target), err: err.message }, 'PBX double: FastAGI server unreachable (AGISTATUS FAILURE)');
      finish(connected ? 'SUCCESS' : 'FAILURE');
    });
    socket.on('close', () => {
      // Lines already in the stdio buffer still run when the socket is reset.
      for (const line of reader.end()) execute(line);
      finish(connected ? 'SUCCESS' : 'FAILURE');
    });
  });
}
