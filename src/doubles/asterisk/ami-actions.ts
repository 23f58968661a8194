import { amiGet, amiGetAll, type AmiField, type AmiMessage } from '../../adapters/asterisk/ami/codec.ts';
import { channelBlock, type Channel } from './channel.ts';
import type { AmiSession } from './ami-session.ts';
import type { OriginateParams } from './originate.ts';

/** Asterisk's own limit on ChannelId/OtherChannelId (AST_MAX_PUBLIC_UNIQUEID). */
export const MAX_PUBLIC_UNIQUEID = 149;

/**
 * Splits an Originate `Variable:` value on commas the way Asterisk does (AST_STANDARD_APP_ARGS):
 * a backslash escapes the next character and double quotes group.
 */
export function splitVariableHeader(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const c = value[i] as string;
    if (c === '\\' && i + 1 < value.length) cur += value[++i];
    else if (c === '"') quoted = !quoted;
    else if (c === ',' && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out.filter((s) => s !== '');
}

/** Reads an Originate action; a string is the error message Asterisk would answer with. */
export function parseOriginate(msg: AmiMessage): OriginateParams | string {
  const channel = amiGet(msg, 'Channel');
  if (channel === undefined || channel === '') return 'Channel not specified';
  if (!channel.includes('/')) return 'Invalid channel';
  const timeoutRaw = amiGet(msg, 'Timeout');
  const timeoutMs = timeoutRaw === undefined || timeoutRaw === '' ? 30_000 : Number(timeoutRaw);
  if (!Number.isFinite(timeoutMs) || timeoutMs < 0) return 'Invalid timeout';
  const priority = amiGet(msg, 'Priority');
  const application = amiGet(msg, 'Application');
  if (application === undefined && priority !== undefined && !/^\d+$/.test(priority)) return 'Invalid priority';
  const channelId = amiGet(msg, 'ChannelId');
  const otherChannelId = amiGet(msg, 'OtherChannelId');
  if ((channelId?.length ?? 0) > MAX_PUBLIC_UNIQUEID || (otherChannelId?.length ?? 0) > MAX_PUBLIC_UNIQUEID) {
    return `Uniqueid length exceeds maximum of ${MAX_PUBLIC_UNIQUEID}`;
  }
  const variables: [string, string][] = [];
  for (const header of amiGetAll(msg, 'Variable')) {
    for (const pair of splitVariableHeader(header)) {
      const eq = pair.indexOf('=');
      if (eq > 0) variables.push([pair.slice(0, eq), pair.slice(eq + 1)]);
    }
  }
  return {
    channel,
    context: amiGet(msg, 'Context'),
    exten: amiGet(msg, 'Exten'),
    priority,
    application,
    data: amiGet(msg, 'Data'),
    timeoutMs,
    callerId: amiGet(msg, 'CallerID'),
    variables,
    channelId,
    otherChannelId,
    account: amiGet(msg, 'Account'),
  };
}

export function isTrue(v: string | undefined): boolean {
  return v !== undefined && ['true', 'yes', '1', 'on', 'y', 't'].includes(v.trim().toLowerCase());
}

/** `Action: Command` in the Asterisk 14+ form: one `Output:` header per line. */
export function answerCommand(session: AmiSession, msg: AmiMessage, version: string, channels: Iterable<Channel>): void {
  const command = (amiGet(msg, 'Command') ?? '').trim();
  let lines: string[] | undefined;
  if (/^core show version$/i.test(command)) lines = [`Asterisk ${version} built by root @ vm on a x86_64 running Linux on 2026-11-23 12:40:41 UTC`];
  else if (/^core show channels( concise)?$/i.test(command)) {
    const list = [...channels];
    lines = [...list.map((c) => `${c.name} ${c.context} ${c.exten} ${c.priority}`), `${list.length} active channel${list.length === 1 ? '' : 's'}`];
  }
  if (lines === undefined) {
    session.respond(msg, 'Error', [['Message', 'Command output follows'], ['Output', `No such command '${command}' (type 'core show help ${command.split(' ')[0] ?? ''}' for other possible commands)`]]);
    return;
  }
  session.respond(msg, 'Success', [['Message', 'Command output follows'], ...lines.map((l): AmiField => ['Output', l])]);
}

/** `CoreShowChannels`: an event list of the live channels. */
export function answerCoreShowChannels(session: AmiSession, msg: AmiMessage, channels: Iterable<Channel>): void {
  const id = amiGet(msg, 'ActionID');
  const idField: AmiField[] = id !== undefined ? [['ActionID', id]] : [];
  session.respond(msg, 'Success', [['EventList', 'start'], ['Message', 'Channels will follow']]);
  let n = 0;
  for (const ch of channels) {
    n++;
    session.send([['Event', 'CoreShowChannel'], ...idField, ...channelBlock(ch), ['Application', ''], ['ApplicationData', ''], ['Duration', '00:00:00'], ['BridgeId', '']]);
  }
  session.send([['Event', 'CoreShowChannelsComplete'], ...idField, ['EventList', 'Complete'], ['ListItems', String(n)]]);
}
