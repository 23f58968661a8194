import { EventEmitter } from 'node:events';
import type { AmiField, AmiMessage } from '../../adapters/asterisk/ami/codec.ts';

/** Event classes of manager.conf `read=`; the lab user had all of these. */
export const ALL_READ_CLASSES = ['system', 'call', 'log', 'verbose', 'command', 'agent', 'user', 'config', 'dtmf', 'reporting', 'cdr', 'dialplan', 'originate', 'agi', 'cc', 'aoc', 'test', 'security', 'message'] as const;

export interface EmittedEvent extends AmiMessage {
  /** The event class (`call`, `dialplan`, `user`, `cdr`, `system`…): the first word of `Privilege`. */
  readonly eventClass: string;
  /** When the ActionID belongs to one AMI session only (OriginateResponse), the session it goes to. */
  readonly onlySession?: unknown;
}

/**
 * Where every event the double produces goes: kept in `history` (for assertions) and handed to the
 * AMI sessions, each of which filters by its user's read classes.
 */
export class EventBus extends EventEmitter<{ event: [EmittedEvent] }> {
  readonly history: EmittedEvent[] = [];
  historyLimit = 100_000;

  emitEvent(name: string, eventClass: string, body: readonly AmiField[], onlySession?: unknown, actionId?: string): EmittedEvent {
    const fields: AmiField[] = [['Event', name], ['Privilege', `${eventClass},all`]];
    if (actionId !== undefined) fields.push(['ActionID', actionId]);
    fields.push(...body);
    const ev: EmittedEvent = { fields, eventClass, onlySession };
    this.history.push(ev);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    this.emit('event', ev);
    return ev;
  }
}
