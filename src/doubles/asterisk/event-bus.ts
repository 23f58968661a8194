import { EventEmitter } from 'node:events';
import type { AmiField, AmiMessage } from '../../adapters/asterisk/ami/codec.ts';

/** Event classes of manager.conf `read=`; the lab user had all of these. */
export const ALL_READ_CLASSES = ['system', 'call', 'log', 'verbose', 'command', 'agent', 'user', 'config', 'dtmf', 'reporting', 'cdr', 'dialplan', 'originate', 'agi', 'cc', 'aoc', 'test', 'security', 'message'] as const;

export interface EmittedEvent extends AmiMessage {
  /** The event class (`call`, `dialplan`, `user`, `cdr`, `system`…): the first word of `Privilege`. */
  readonly eventClass: string;
}

/**
 * Where every event the double produces goes: kept in `history` (for assertions) and handed to the
 * AMI sessions, each of which filters by its user's read classes.
 */
export class EventBus extends EventEmitter<{ event: [EmittedEvent] }> {
  readonly history: EmittedEvent[] = [];
  historyLimit = 100_000;
  /** Whether a session reads this class (set by the PBX double; default: every class is read). */
  sessionsRead: (eventClass: string) => boolean = () => true;

  /**
   * Whether an event of this class would reach anyone (the history, a listener of its own, an AMI
   * session that reads the class): if not, it need not be built at all, as Asterisk skips events no
   * manager session asked for.
   */
  wants(eventClass: string): boolean {
    return this.historyLimit > 0 || this.listenerCount('event') > 1 || this.sessionsRead(eventClass);
  }

  /** `actionId` is for OriginateResponse, which Asterisk broadcasts with the originating ActionID. */
  emitEvent(name: string, eventClass: string, body: readonly AmiField[], actionId?: string): EmittedEvent {
    const fields: AmiField[] = [['Event', name], ['Privilege', `${eventClass},all`]];
    if (actionId !== undefined) fields.push(['ActionID', actionId]);
    fields.push(...body);
    const ev: EmittedEvent = { fields, eventClass };
    if (this.historyLimit > 0) {
      this.history.push(ev);
      // Trim in blocks so that a long demo run does not shift the array on every event.
      if (this.history.length > this.historyLimit * 1.25) this.history.splice(0, this.history.length - this.historyLimit);
    }
    this.emit('event', ev);
    return ev;
  }
}
