import { queueName, type CompiledInbound } from './compile.ts';
import { weightedOrder } from './group-order.ts';
import type { Group, GroupMember } from './model.ts';
import type { Position } from './position.ts';
import type { InboundAction, MachineContext, Ringing } from './step-machine.ts';

/**
 * Ringing a group by its strategy, for the `group` step and for the responsible step's fallback
 * group alike. An ordered or weighted group rings member by member: the member's index is kept in
 * the position's `sub` counted from `base` (where the step's group phase starts), the weighted
 * order's seed in `seed`.
 */
export interface GroupRing {
  readonly action: InboundAction;
  readonly position: Position;
}

type Ctx = Pick<MachineContext, 'inbound' | 'extensionOf' | 'userOf' | 'random' | 'trace'>;

/** The phone of an extension (inbound.yaml's phoneDial, `{extension}` replaced). */
export function phoneDial(ctx: { readonly inbound: CompiledInbound }, extension: string): string {
  return ctx.inbound.rules.phoneDial.replaceAll('{extension}', extension);
}

export function dialAction(ctx: { readonly inbound: CompiledInbound }, ringing: readonly Ringing[], ringTime: number): InboundAction {
  return { kind: 'dial', dial: ringing.map((r) => phoneDial(ctx, r.extension)).join('&'), ringTime, ringing };
}

function memberRinging(ctx: Ctx, m: GroupMember): Ringing | null {
  if (m.extension !== null) return { user: m.user ?? ctx.userOf(m.extension), extension: m.extension };
  const extension = m.user === null ? null : ctx.extensionOf(m.user);
  return extension === null ? null : { user: m.user, extension };
}

/** Members in ringing order, those without an extension left out. */
export function orderedMembers(ctx: Ctx, group: Group, seed: number): Ringing[] {
  const members = group.strategy === 'wrandom' ? weightedOrder(group.members, seed) : group.members;
  return members.map((m) => memberRinging(ctx, m)).filter((r): r is Ringing => r !== null);
}

const at = (p: Position): string => `${p.scenario}#${p.step + 1}`;

/**
 * The group's first ringing (all at once, its first member, or its Asterisk queue); null when the
 * group is unknown or no member has an extension. A weighted group draws its order's seed here;
 * other strategies keep `pos.seed` (the responsible step's user).
 */
export function startGroup(ctx: Ctx, groupId: string, pos: Position, base: number): GroupRing | null {
  const group = ctx.inbound.groupById.get(groupId);
  if (!group) return null;
  const note = (text: string): void => {
    ctx.trace?.push(text);
  };
  const start = { ...pos, sub: base };
  switch (group.strategy) {
    case 'all': {
      const ringing = orderedMembers(ctx, group, 0);
      if (ringing.length === 0) return null;
      note(`${at(pos)}: ring group "${group.id}" all at once (${ringing.map((r) => r.extension).join(', ')}) for ${group.ringTime} s`);
      return { action: dialAction(ctx, ringing, group.ringTime), position: start };
    }
    case 'order':
    case 'wrandom': {
      const seed = group.strategy === 'wrandom' ? Math.floor(ctx.random() * 0xffffffff) >>> 0 : pos.seed;
      const ringing = orderedMembers(ctx, group, seed);
      const first = ringing[0];
      if (!first) return null;
      note(`${at(pos)}: ring group "${group.id}" ${group.strategy === 'order' ? 'in order' : 'in weighted random order'} (${ringing.map((r) => r.extension).join(' → ')}), ${group.ringTime} s each`);
      return { action: dialAction(ctx, [first], group.ringTime), position: { ...start, seed } };
    }
    case 'rrmemory':
    case 'leastrecent': {
      const ringing = orderedMembers(ctx, group, 0);
      if (ringing.length === 0) return null;
      const queue = queueName(group.id);
      note(`${at(pos)}: ring group "${group.id}" through queue ${queue} (${group.strategy}) for ${group.ringTime} s`);
      return { action: { kind: 'queue', queue, ringTime: group.ringTime, ringing }, position: start };
    }
  }
}

/**
 * The member after the one that did not answer (`result`), for groups rung one by one; null when
 * the group is done (its last member, or a strategy that rings once).
 */
export function nextInGroup(ctx: Ctx, groupId: string, pos: Position, base: number, result: string): GroupRing | null {
  const group = ctx.inbound.groupById.get(groupId);
  if (!group || (group.strategy !== 'order' && group.strategy !== 'wrandom')) return null;
  const members = orderedMembers(ctx, group, pos.seed);
  const index = pos.sub - base + 1;
  const ringing = members[index];
  if (!ringing) return null;
  ctx.trace?.push(`${at(pos)}: ${result || 'no answer'}: next member of "${group.id}"`);
  return { action: dialAction(ctx, [ringing], group.ringTime), position: { ...pos, sub: base + index } };
}
