import { z } from 'zod';
import type { NormalizeOptions } from '../../core/phone/normalize.ts';
import { GROUP_STRATEGIES, type GroupStrategy, type Step } from '../../core/scenarios/model.ts';
import { SCENARIO_ID } from '../../core/scenarios/position.ts';
import { messageStepSchemas } from './message-step-schema.ts';
import { MOBILE_POLICIES, type MobilePolicy } from '../../core/scenarios/responsible-step.ts';
import { idSchema, phoneSchema } from './schema.ts';

/**
 * rules/inbound.yaml: inbound numbers bound to scenarios, the scenarios' steps, the groups they
 * ring. Scenario and group ids travel through the dialplan (the step position, queue names), so
 * they are restricted to letters, digits, `_`, `.` and `-`.
 */

const trimmed = z.string().trim().min(1);
const scenarioId = z.union([trimmed, z.number().int().nonnegative()]).transform(String)
  .refine((v) => SCENARIO_ID.test(v), 'an id of letters, digits, "_", "." and "-" (at most 64)');
/** A sound file as Asterisk names it (no extension); `|` and `,` would break the dialplan's fields. */
const soundFile = trimmed.refine((v) => !/[|,&]/.test(v), 'a sound file name cannot contain "|", "," or "&"');
const seconds = (max: number) => z.number().int().min(1).max(max);
const ringTime = seconds(600).default(20);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$|^24:00$/, 'a time HH:MM');
const day = z.union([z.number().int().min(1).max(7), z.enum(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'])])
  .transform((d) => (typeof d === 'number' ? d : ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].indexOf(d) + 1));
const holiday = z.string().regex(/^(\d{4}|-)-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'a date YYYY-MM-DD, or --MM-DD for every year');

function stepSchemas(country: NormalizeOptions['defaultCountry']) {
  return [
    z.strictObject({ play: soundFile, seconds: seconds(3600).nullable().default(null) })
      .transform((s): Step => ({ kind: 'play', file: s.play, seconds: s.seconds })),
    z.strictObject({ extension: z.strictObject({ prompt: soundFile.nullable().default(null), timeout: seconds(60).default(5), maxDigits: z.number().int().min(1).max(10).default(4), ringTime }) })
      .transform((s): Step => ({ kind: 'extension', ...s.extension })),
    z.strictObject({ group: scenarioId }).transform((s): Step => ({ kind: 'group', group: s.group })),
    z.strictObject({ employee: idSchema, ringTime }).transform((s): Step => ({ kind: 'employee', user: s.employee, ringTime: s.ringTime })),
    z.strictObject({ external: phoneSchema(country), ringTime: seconds(600).default(60) })
      .transform((s): Step => ({ kind: 'external', number: s.external, ringTime: s.ringTime })),
    z.strictObject({ sip: trimmed.refine((v) => /^[A-Za-z0-9]+\/[^|,\s]+$/.test(v), 'an Asterisk dial string such as PJSIP/office@sip.example.org, without "|", "," or spaces'), ringTime })
      .transform((s): Step => ({ kind: 'sip', address: s.sip, ringTime: s.ringTime })),
    z.strictObject({
      ivr: z.strictObject({
        prompt: soundFile,
        timeout: seconds(60).default(5),
        tries: z.number().int().min(1).max(5).default(2),
        keys: z.record(z.string(), scenarioId).superRefine((keys, ctx) => {
          for (const key of Object.keys(keys)) {
            if (!/^[0-9*#]$/.test(key)) ctx.addIssue({ code: 'custom', message: `"${key}" is not one key: 0-9, * or #`, path: [key] });
          }
        }),
        onTimeout: scenarioId.nullable().default(null),
        onInvalid: scenarioId.nullable().default(null),
      }),
    }).transform((s): Step => ({ kind: 'ivr', ...s.ivr })),
    z.strictObject({
      time: z.strictObject({
        ranges: z.array(z.strictObject({ days: z.array(day).min(1), from: hhmm, to: hhmm })).default([]),
        holidays: z.array(holiday).default([]),
        inside: scenarioId.nullable().default(null),
        outside: scenarioId.nullable().default(null),
      }),
    }).transform((s): Step => ({ kind: 'time', ...s.time })),
    z.strictObject({ goto: scenarioId }).transform((s): Step => ({ kind: 'goto', scenario: s.goto })),
    ...messageStepSchemas(soundFile),
    z.strictObject({
      responsible: z.strictObject({
        ringTime,
        lookupTimeout: z.number().min(0.1).max(10).default(1.5),
        mobile: z.enum(MOBILE_POLICIES as [MobilePolicy, ...MobilePolicy[]]).default('first'),
        mobileRingTime: seconds(600).default(30),
        bitrix24State: z.boolean().default(false),
        fallback: z.union([z.strictObject({ user: idSchema }), z.strictObject({ group: scenarioId })]).nullable().default(null),
      }).nullable().transform((r) => r ?? { ringTime: 20, lookupTimeout: 1.5, mobile: 'first' as const, mobileRingTime: 30, bitrix24State: false, fallback: null }),
    }).transform((s): Step => ({ kind: 'responsible', ...s.responsible, lookupTimeout: Math.round(s.responsible.lookupTimeout * 1000) })),
    z.strictObject({ anyManager: z.strictObject({ ringTime }).nullable().transform((a) => a ?? { ringTime: 20 }) })
      .transform((s): Step => ({ kind: 'anyManager', ringTime: s.anyManager.ringTime })),
  ] as const;
}

const STEP_KEYS = ['play', 'extension', 'group', 'employee', 'external', 'sip', 'ivr', 'time', 'goto', 'voicemail', 'fax', 'responsible', 'anyManager'] as const;

/**
 * A step is an object named by its kind's key (`{ group: sales }`) or the word `hangup`. The key
 * picks the schema, so an error inside a step names its own path (`steps[2].ivr.keys.12`).
 */
function stepSchema(country: NormalizeOptions['defaultCountry']) {
  const schemas = stepSchemas(country);
  return z.unknown().transform((raw, ctx): Step => {
    if (raw === 'hangup') return { kind: 'hangup' };
    // The two steps whose settings all have defaults may be written as a bare word.
    if (raw === 'responsible' || raw === 'anyManager') raw = { [raw]: null };
    const key = raw !== null && typeof raw === 'object' ? STEP_KEYS.findIndex((k) => k in raw) : -1;
    const schema = schemas[key];
    if (!schema) {
      ctx.addIssue({ code: 'custom', message: 'a step is one of: play, extension, group, employee, external, sip, ivr, time, goto, voicemail, fax, responsible, anyManager, or the word hangup' });
      return z.NEVER;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
    return z.NEVER;
  });
}

export function inboundFileSchema(country: NormalizeOptions['defaultCountry']) {
  return z.strictObject({
    /** Dial string of an employee's phone (`{extension}` replaced). */
    phoneDial: trimmed.refine((v) => v.includes('{extension}') && !/[|,]/.test(v), 'a dial string with {extension} and without "|" or ","').default('PJSIP/{extension}'),
    /** The Bitrix24 user who owns a missed call that rang no responsible manager and nobody else. */
    missedCallOwner: idSchema.nullable().default(null),
    numbers: z.array(z.strictObject({
      number: phoneSchema(country),
      scenario: scenarioId,
      line: idSchema.nullable().default(null),
    })).default([]),
    scenarios: z.array(z.strictObject({
      id: scenarioId,
      name: trimmed.optional(),
      department: idSchema.nullable().default(null),
      createLeads: z.boolean().nullable().default(null),
      crmUser: idSchema.nullable().default(null),
      steps: z.array(stepSchema(country)).min(1),
    })).default([]),
    groups: z.array(z.strictObject({
      id: scenarioId,
      name: trimmed.optional(),
      strategy: z.enum(GROUP_STRATEGIES as [GroupStrategy, ...GroupStrategy[]]).default('all'),
      ringTime,
      members: z.array(z.union([
        idSchema.transform((user) => ({ user, extension: null, weight: 1 })),
        z.strictObject({ user: idSchema.nullable().default(null), extension: idSchema.nullable().default(null), weight: z.number().positive().default(1) })
          .refine((m) => (m.user === null) !== (m.extension === null), 'give exactly one of user and extension'),
      ])).min(1),
    })).default([]),
  });
}
