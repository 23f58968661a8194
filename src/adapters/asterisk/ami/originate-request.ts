import { AmiRequestError } from './errors.ts';

/** What a click-to-call asks Asterisk to do (AMI `Originate`, always Async). */
export interface OriginateRequest {
  channel: string;
  context?: string;
  exten?: string;
  priority?: string;
  application?: string;
  data?: string;
  timeoutMs: number;
  callerId?: string;
  variables?: Record<string, string>;
  /** Pre-assigned Uniqueid of the channel (becomes `agi_uniqueid`): unique per Originate, ≤ 149 chars. */
  channelId?: string;
  /** Pre-assigned Uniqueid of the `;2` half of a Local channel. */
  otherChannelId?: string;
  account?: string;
}

/** Asterisk's AST_MAX_PUBLIC_UNIQUEID. */
export const MAX_CHANNEL_ID = 149;

/**
 * Asterisk splits each `Variable:` value on commas (and strips quotes and backslashes):
 * escape them so a value arrives intact.
 */
export function escapeVariableValue(value: string): string {
  return value.replace(/[\\,"]/g, (c) => `\\${c}`);
}

function requireSafe(name: string, value: string): void {
  if (/[\r\n]/.test(value)) throw new AmiRequestError(`Originate ${name} contains a line break`, 'Originate');
}

/** Validates the request and builds the action fields (asterisk-manager's shape: Variable as an object). */
export function originateFields(req: OriginateRequest): Record<string, string | Record<string, string>> {
  if (!/^[^/\s]+\/\S+$/.test(req.channel)) throw new AmiRequestError(`Originate channel "${req.channel}" is not Tech/resource`, 'Originate');
  const hasExten = req.context !== undefined || req.exten !== undefined;
  if (hasExten === (req.application !== undefined)) {
    throw new AmiRequestError('Originate needs either context+exten(+priority) or application', 'Originate');
  }
  if (!Number.isInteger(req.timeoutMs) || req.timeoutMs <= 0) throw new AmiRequestError(`Originate timeout ${req.timeoutMs} ms is not a positive integer`, 'Originate');
  for (const [name, id] of [['ChannelId', req.channelId], ['OtherChannelId', req.otherChannelId]] as const) {
    if (id === undefined) continue;
    if (id.length === 0 || id.length > MAX_CHANNEL_ID) throw new AmiRequestError(`Originate ${name} must be 1..${MAX_CHANNEL_ID} characters (got ${id.length})`, 'Originate');
    if (!/^[\x21-\x7e]+$/.test(id)) throw new AmiRequestError(`Originate ${name} must be printable ASCII without spaces`, 'Originate');
  }
  const fields: Record<string, string | Record<string, string>> = { Action: 'Originate', Channel: req.channel, Timeout: String(req.timeoutMs), Async: 'true' };
  if (req.application !== undefined) {
    fields.Application = req.application;
    if (req.data !== undefined) fields.Data = req.data;
  } else {
    fields.Context = req.context ?? '';
    fields.Exten = req.exten ?? '';
    fields.Priority = req.priority ?? '1';
  }
  if (req.callerId !== undefined) fields.CallerID = req.callerId;
  if (req.channelId !== undefined) fields.ChannelId = req.channelId;
  if (req.otherChannelId !== undefined) fields.OtherChannelId = req.otherChannelId;
  if (req.account !== undefined) fields.Account = req.account;
  if (req.variables && Object.keys(req.variables).length > 0) {
    const vars: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.variables)) {
      if (!/^[A-Za-z_][A-Za-z0-9_()]*$/.test(k)) throw new AmiRequestError(`Originate variable name "${k}" is invalid`, 'Originate');
      requireSafe(`variable ${k}`, v);
      vars[k] = escapeVariableValue(v);
    }
    fields.Variable = vars;
  }
  for (const [k, v] of Object.entries(fields)) if (typeof v === 'string') requireSafe(k, v);
  return fields;
}
