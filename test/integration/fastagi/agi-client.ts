import net from 'node:net';
import { ResAgiLineReader } from '../../../src/doubles/asterisk/res-agi-reader.ts';

export interface AgiChannelModel {
  /** Channel variables GET VARIABLE reads (CONNECTOR_CALL_ID, CONNECTOR_EXTEN…). */
  readonly vars?: Record<string, string>;
  readonly linkedid?: string;
  /** Send `HANGUP` inline after this many commands were answered; later commands get 511. */
  readonly hangupAfter?: number;
  /** Line ending of Asterisk's bytes (the environment block is sent as given). */
  readonly eol?: '\n' | '\r\n';
}

export interface AgiRun {
  readonly commands: string[];
  /** SET VARIABLE results. */
  readonly set: Record<string, string>;
  /** The server closed the socket (rather than the client giving up). */
  readonly closedByServer: boolean;
  readonly ms: number;
}

/**
 * Plays Asterisk's side of a FastAGI session: sends the environment bytes verbatim, then answers
 * each command the way res_agi does (GET VARIABLE, GET FULL VARIABLE, SET VARIABLE, 510 otherwise).
 */
export function runAgi(port: number, environment: string, model: AgiChannelModel = {}, timeoutMs = 5000): Promise<AgiRun> {
  const started = performance.now();
  const eol = model.eol ?? '\n';
  const vars: Record<string, string> = { ...(model.vars ?? {}) };
  const set: Record<string, string> = {};
  const commands: string[] = [];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const reader = new ResAgiLineReader();
    let dead = false;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`AGI session did not finish within ${timeoutMs} ms; commands so far: ${commands.join(' | ')}`));
    }, timeoutMs);
    socket.on('connect', () => socket.write(environment));
    // Lines are taken off the socket as res_agi does: a pipelined command waits for more bytes.
    socket.on('data', (chunk) => {
      for (const line of reader.data(chunk.toString('utf8'))) {
        commands.push(line);
        socket.write(`${answer(line)}${eol}`);
        if (model.hangupAfter !== undefined && commands.length === model.hangupAfter && !dead) {
          dead = true;
          socket.write(`HANGUP${eol}`);
        }
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve({ commands, set, closedByServer: true, ms: performance.now() - started });
    });

    function answer(line: string): string {
      if (dead) return '511 Command Not Permitted on a dead channel or intercept routine';
      let m = /^GET VARIABLE (\S+)$/.exec(line);
      if (m) {
        const v = vars[m[1] as string];
        return v === undefined ? '200 result=0' : `200 result=1 (${v})`;
      }
      m = /^GET FULL VARIABLE (.+)$/.exec(line);
      if (m) return m[1] === '${CHANNEL(linkedid)}' && model.linkedid !== undefined ? `200 result=1 (${model.linkedid})` : '200 result=0';
      m = /^SET VARIABLE (\S+) "((?:[^"\\]|\\.)*)"$/.exec(line);
      if (m) {
        const value = (m[2] as string).replace(/\\(.)/g, '$1');
        set[m[1] as string] = value;
        vars[m[1] as string] = value;
        return '200 result=1';
      }
      return '510 Invalid or unknown command';
    }
  });
}
