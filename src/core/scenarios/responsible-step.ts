import type { InboundAction, MachineContext, Ringing } from './step-machine.ts';
import { dialAction, nextInGroup, orderedMembers, phoneDial, startGroup } from './group-ring.ts';
import type { Position } from './position.ts';
import type { Scenario } from './model.ts';

/** Which of the responsible's profile phones are tried after their extension. */
export type MobilePolicy = 'first' | 'all' | 'none';
export const MOBILE_POLICIES: readonly MobilePolicy[] = ['first', 'all', 'none'];

/**
 * Ring the manager responsible for the caller in the CRM: their extension for `ringTime`, then
 * their profile's phones through outbound routing, then the scenario's fallback, if any.
 */
export interface ResponsibleStep {
  readonly kind: 'responsible';
  readonly ringTime: number;
  /** ms the CRM lookup may take; later = not found. */
  readonly lookupTimeout: number;
  readonly mobile: MobilePolicy;
  readonly mobileRingTime: number;
  /** Also skip the extension when Bitrix24's working-day status says the user is away. */
  readonly bitrix24State: boolean;
  /** Bitrix24 has no second responsible: the scenario names one (a user or a group). */
  readonly fallback: { readonly user: string } | { readonly group: string } | null;
}

/** Ring the first free phone among everyone the scenario's other steps name. */
export interface AnyManagerStep {
  readonly kind: 'anyManager';
  readonly ringTime: number;
}

/** What the CRM says about the caller's responsible manager (telephony.externalCall.searchCrmEntities). */
export interface ResponsibleFacts {
  /** Bitrix24 user id (digits: it travels in the call's position). */
  readonly user: string;
  /** ASSIGNED_BY.USER_PHONE_INNER: used when the rules know no extension for the user. */
  readonly extension: string | null;
  /** PERSONAL_MOBILE then WORK_PHONE, in E.164, empty ones left out. */
  readonly phones: readonly string[];
  /** ASSIGNED_BY.TIMEMAN_STATUS: OPENED, CLOSED, PAUSED, EXPIRED, or null without the time-tracking module. */
  readonly timeman: string | null;
}

/** Working-day states that count as "not at work" when `bitrix24State` is on. */
const AWAY = new Set(['CLOSED', 'PAUSED']);
/** Device states of a phone that cannot ring (not registered, unknown to the PBX). */
const OFFLINE = new Set(['UNAVAILABLE', 'INVALID']);

/** Position sub-phases of a responsible step (`seed` carries the user id once found). */
const PROBE = 1;
const EXTENSION = 2;
const PHONE = 3;
const FALLBACK = 9;

export type Outcome =
  | { readonly kind: 'act'; readonly action: InboundAction; readonly position: Position; readonly owner?: string | null }
  | { readonly kind: 'next' }
  | { readonly kind: 'answered' };

type Note = (text: string) => void;
const at = (p: Position): string => `${p.scenario}#${p.step + 1}`;
const isAnswer = (r: string): boolean => r === 'ANSWER' || r === 'COMPLETECALLER' || r === 'COMPLETEAGENT';

/** The device a phone's dial string names (`PJSIP/101`): what `DEVICE_STATE()` is asked about. */
export function deviceOf(ctx: MachineContext, extension: string): string {
  return phoneDial(ctx, extension);
}

/** The device states the dialplan read (`/NOT_INUSE/UNAVAILABLE`), one per device probed. */
export function parseProbe(result: string): string[] {
  return result.split('/').filter((s) => s !== '').map((s) => s.trim().toUpperCase());
}

/**
 * One move of a responsible step: `pos.sub` says which phase it is in, `result` how the previous
 * action ended. Needs `ctx.responsible` (the lookup) in every phase that reads the user's phones.
 */
export function responsibleMove(ctx: MachineContext, scenario: Scenario, step: ResponsibleStep, pos: Position, result: string | null, note: Note): Outcome {
  if (result !== null && isAnswer(result)) return { kind: 'answered' };
  const facts = ctx.responsible;
  if (pos.sub === 0 && result === null) {
    if (facts === undefined) return { kind: 'act', action: { kind: 'lookup', timeout: step.lookupTimeout }, position: pos };
    if (facts === null || !/^\d{1,10}$/.test(facts.user)) {
      note(`${at(pos)}: no responsible manager found for the caller in time: next step`);
      return { kind: 'next' };
    }
    const extension = ctx.extensionOf(facts.user) ?? facts.extension;
    const found = { ...pos, seed: Number(facts.user) };
    if (step.bitrix24State && facts.timeman !== null && AWAY.has(facts.timeman)) {
      note(`${at(pos)}: responsible user ${facts.user} is away in Bitrix24 (TIMEMAN_STATUS ${facts.timeman}): their phone is skipped`);
      return afterExtension(ctx, scenario, step, found, note);
    }
    if (extension === null) {
      note(`${at(pos)}: responsible user ${facts.user} has no extension`);
      return afterExtension(ctx, scenario, step, found, note);
    }
    note(`${at(pos)}: responsible manager: user ${facts.user} (extension ${extension}); is their phone online?`);
    return { kind: 'act', action: { kind: 'probe', devices: [deviceOf(ctx, extension)] }, position: { ...found, sub: PROBE }, owner: facts.user };
  }
  // The fallback's phase first: a weighted fallback group's seed has replaced the user there.
  if (pos.sub >= FALLBACK) return afterFallback(ctx, step, pos, result ?? '', note);
  const user = String(pos.seed);
  switch (pos.sub) {
    case PROBE: {
      const state = parseProbe(result ?? '')[0] ?? 'UNKNOWN';
      const extension = ctx.extensionOf(user) ?? (facts?.user === user ? facts.extension : null);
      if (OFFLINE.has(state) || extension === null) {
        note(`${at(pos)}: user ${user}'s phone is offline (${state}): skipped at once`);
        return afterExtension(ctx, scenario, step, pos, note);
      }
      note(`${at(pos)}: ring user ${user} at ${extension} for ${step.ringTime} s`);
      return { kind: 'act', action: dialAction(ctx, [{ user, extension }], step.ringTime), position: { ...pos, sub: EXTENSION }, owner: user };
    }
    case EXTENSION:
      note(`${at(pos)}: user ${user} did not answer (${result || 'no status'})`);
      return afterExtension(ctx, scenario, step, pos, note);
    default:
      if (pos.sub >= PHONE) {
        note(`${at(pos)}: user ${user}'s phone did not answer (${result || 'no status'})`);
        return phoneFrom(ctx, scenario, step, pos, pos.sub - PHONE + 1, note);
      }
      return { kind: 'next' };
  }
}

function afterExtension(ctx: MachineContext, scenario: Scenario, step: ResponsibleStep, pos: Position, note: Note): Outcome {
  return phoneFrom(ctx, scenario, step, pos, 0, note);
}

/** The responsible's profile phone number `index` (in the policy's list), else the fallback. */
function phoneFrom(ctx: MachineContext, scenario: Scenario, step: ResponsibleStep, pos: Position, index: number, note: Note): Outcome {
  const user = String(pos.seed);
  if (step.mobile !== 'none') {
    const facts = ctx.responsible;
    if (facts === undefined) return { kind: 'act', action: { kind: 'lookup', timeout: step.lookupTimeout }, position: pos };
    const phones = facts === null || facts.user !== user ? [] : step.mobile === 'first' ? facts.phones.slice(0, 1) : facts.phones;
    const number = phones[index];
    if (number !== undefined) {
      note(`${at(pos)}: user ${user}'s ${index === 0 ? 'mobile' : 'next phone'} ${number} through outbound routing (origin inbound, department ${scenario.department ?? 'none'}) for ${step.mobileRingTime} s`);
      return {
        kind: 'act',
        action: { kind: 'forward', number, department: scenario.department, ringTime: step.mobileRingTime, ringing: [{ user, extension: number }] },
        position: { ...pos, sub: PHONE + index },
        owner: user,
      };
    }
    if (index === 0) note(`${at(pos)}: user ${user} has no phone in their profile (PERSONAL_MOBILE, WORK_PHONE)`);
  }
  return fallback(ctx, step, pos, note);
}

/** The scenario's fallback: a user's extension, or a group rung by its own strategy (as a `group` step). */
function fallback(ctx: MachineContext, step: ResponsibleStep, pos: Position, note: Note): Outcome {
  const fb = step.fallback;
  if (fb === null) {
    note(`${at(pos)}: no fallback: next step`);
    return { kind: 'next' };
  }
  if ('group' in fb) {
    note(`${at(pos)}: fallback group "${fb.group}"`);
    const started = startGroup(ctx, fb.group, pos, FALLBACK);
    if (started) return { kind: 'act', ...started };
    note(`${at(pos)}: the fallback group "${fb.group}" has no member with an extension: next step`);
    return { kind: 'next' };
  }
  const extension = ctx.extensionOf(fb.user);
  if (extension === null) {
    note(`${at(pos)}: the fallback user ${fb.user} has no extension: next step`);
    return { kind: 'next' };
  }
  note(`${at(pos)}: fallback user ${fb.user} (${extension}) for ${step.ringTime} s`);
  return { kind: 'act', action: dialAction(ctx, [{ user: fb.user, extension }], step.ringTime), position: { ...pos, sub: FALLBACK } };
}

/** A fallback ringing ended unanswered: the fallback group's next member, else the next step. */
function afterFallback(ctx: MachineContext, step: ResponsibleStep, pos: Position, result: string, note: Note): Outcome {
  const fb = step.fallback;
  const more = fb !== null && 'group' in fb ? nextInGroup(ctx, fb.group, pos, FALLBACK, result) : null;
  if (more) return { kind: 'act', ...more };
  note(`${at(pos)}: the fallback did not answer (${result || 'no status'}): next step`);
  return { kind: 'next' };
}

function usersRinging(ctx: MachineContext, users: readonly string[]): Ringing[] {
  return users.flatMap((user) => {
    const extension = ctx.extensionOf(user);
    return extension === null ? [] : [{ user, extension }];
  });
}

function groupRinging(ctx: MachineContext, groupId: string): Ringing[] {
  const group = ctx.inbound.groupById.get(groupId);
  return group ? orderedMembers(ctx, group, 0) : [];
}

/**
 * Everyone the scenario's other steps name, in step order, once each: employees, group members,
 * the responsible step's fallback. The responsible manager is not among them (not known ahead).
 */
export function scenarioManagers(ctx: MachineContext, scenario: Scenario): Ringing[] {
  const out: Ringing[] = [];
  const seen = new Set<string>();
  const add = (rs: readonly Ringing[]) => {
    for (const r of rs) {
      if (seen.has(r.extension)) continue;
      seen.add(r.extension);
      out.push(r);
    }
  };
  for (const step of scenario.steps) {
    if (step.kind === 'employee') add(usersRinging(ctx, [step.user]));
    else if (step.kind === 'group') add(groupRinging(ctx, step.group));
    else if (step.kind === 'responsible' && step.fallback !== null) add('user' in step.fallback ? usersRinging(ctx, [step.fallback.user]) : groupRinging(ctx, step.fallback.group));
  }
  return out;
}

/** "Any manager": probe every phone of the scenario, ring the first free one (`NOT_INUSE`). */
export function anyManagerMove(ctx: MachineContext, scenario: Scenario, step: AnyManagerStep, pos: Position, result: string | null, note: Note): Outcome {
  const managers = scenarioManagers(ctx, scenario);
  if (result === null) {
    if (managers.length === 0) {
      note(`${at(pos)}: the scenario names no manager with an extension: skipped`);
      return { kind: 'next' };
    }
    note(`${at(pos)}: any manager: which of ${managers.map((m) => m.extension).join(', ')} is free?`);
    return { kind: 'act', action: { kind: 'probe', devices: managers.map((m) => deviceOf(ctx, m.extension)) }, position: { ...pos, sub: PROBE } };
  }
  if (isAnswer(result)) return { kind: 'answered' };
  if (pos.sub !== PROBE) {
    note(`${at(pos)}: ${result || 'no status'}: next step`);
    return { kind: 'next' };
  }
  const states = parseProbe(result);
  const free = managers.find((_m, i) => states[i] === 'NOT_INUSE');
  if (!free) {
    note(`${at(pos)}: no phone is free (${states.join(', ') || 'no states'}): next step`);
    return { kind: 'next' };
  }
  note(`${at(pos)}: ${free.extension} is the first free phone: ring it for ${step.ringTime} s`);
  return { kind: 'act', action: dialAction(ctx, [free], step.ringTime), position: { ...pos, sub: EXTENSION } };
}
