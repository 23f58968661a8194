import { z } from 'zod';
import { normalizePhone, type NormalizeOptions } from '../../core/phone/normalize.ts';
import { parseIncrement } from '../../core/rules/billing.ts';
import { CALL_ORIGINS, DEFAULT_BREAKER, type CallOrigin } from '../../core/rules/model.ts';

/**
 * The zod schemas of rules/*.yaml. YAML writes ids and phone numbers either as strings or as
 * numbers; both are accepted and normalised (ids to strings, phone numbers to E.164). Unknown keys
 * are errors, so a typo never silently drops a setting.
 */

const trimmed = z.string().trim().min(1);

/** An id written as `10` or `"10"`. */
export const idSchema = z.union([trimmed, z.number().int().nonnegative()]).transform(String);

/** A destination prefix, `+91272` or `91272`: E.164 digits without the plus. */
export const prefixSchema = z.union([trimmed, z.number().int().nonnegative()]).transform((v, ctx) => {
  const digits = String(v).replace(/[\s-]/g, '').replace(/^\+/, '');
  if (!/^\d{1,15}$/.test(digits)) {
    ctx.addIssue({ code: 'custom', message: `"${String(v)}" is not a number prefix: digits only, optional leading +` });
    return z.NEVER;
  }
  return digits;
});

/** A phone number in any usual form, normalised to E.164; an invalid one is a load error. */
export function phoneSchema(defaultCountry: NormalizeOptions['defaultCountry']) {
  return z.union([trimmed, z.number().int().nonnegative()]).transform((v, ctx) => {
    const result = normalizePhone(String(v), defaultCountry ? { defaultCountry } : {});
    if (!result.ok) {
      ctx.addIssue({ code: 'custom', message: result.message });
      return z.NEVER;
    }
    return result.number.e164;
  });
}

const price = z.number().nonnegative();

const tariffsSchema = z.strictObject({
  byCarrier: z.record(z.string(), price).default({}),
  /** `{ "7495": 0.9 }` or `[{ prefix: 7495, perMinute: 0.9 }]`. */
  byPrefix: z
    .union([
      z.record(z.string(), price).transform((rec) => Object.entries(rec).map(([prefix, perMinute]) => ({ prefix, perMinute }))),
      z.array(z.strictObject({ prefix: z.union([z.string(), z.number()]), perMinute: price })),
    ])
    .default([])
    .pipe(z.array(z.strictObject({ prefix: prefixSchema, perMinute: price }))),
  default: price,
  /** Billing increment `first/step` in seconds: 60/60, 1/1, 60/1 (absent: 60/60). */
  increment: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const parsed = parseIncrement(String(v));
    if (typeof parsed === 'string') {
      ctx.addIssue({ code: 'custom', message: parsed });
      return z.NEVER;
    }
    return parsed;
  }).optional(),
});

const causeOverridesSchema = z
  .record(z.string().regex(/^\d{1,3}$/, 'a Q.850 cause number'), z.enum(['rotate', 'stop']))
  .default({})
  .transform((rec) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [Number(k), v])) as Record<number, 'rotate' | 'stop'>);

export const breakerSchema = z.strictObject({
  failures: z.number().int().min(1).max(1000),
  windowSeconds: z.number().int().min(1).max(86_400),
  openSeconds: z.number().int().min(1).max(86_400),
});

const limit = z.number().int().positive().nullable().default(null);
const simLimitsSchema = z.strictObject({
  callsPerHour: limit,
  callsPerDay: limit,
  minutesPerDay: limit,
  minGapSeconds: limit,
});

export function trunksFileSchema(defaultCountry: NormalizeOptions['defaultCountry']) {
  const trunk = z
    .strictObject({
      id: idSchema,
      name: trimmed.optional(),
      kind: z.enum(['gsm', 'sip']),
      carrier: trimmed.nullable().default(null),
      // `|` separates the fields of the FastAGI route answer (docs/asterisk.md).
      dial: trimmed.refine((v) => !v.includes('|'), 'a dial string cannot contain "|" (it separates the fields of the route answer)'),
      // The {host}, {port}, {server} dial macros' values (a dial string using one needs it set).
      host: trimmed.refine((v) => !/[|{}\s]/.test(v), 'a host cannot contain spaces, "|", "{" or "}"').optional(),
      port: z.number().int().min(1).max(65535).optional(),
      server: trimmed.refine((v) => !/[|{}\s]/.test(v), 'a server cannot contain spaces, "|", "{" or "}"').optional(),
      numberFormat: z.enum(['e164', 'e164-digits', 'national-8', 'national-10']).default('e164'),
      callerIds: z.array(phoneSchema(defaultCountry)).default([]),
      tariffs: tariffsSchema,
      channels: z.number().int().positive().nullable().default(null),
      enabled: z.boolean().default(true),
      priority: z.number().int().default(100),
      line: idSchema.nullable().default(null),
      international: z.boolean().optional(),
      causeOverrides: causeOverridesSchema,
      ringTimeout: z.number().int().min(1).max(600).default(60),
      /** Overrides of routing.yaml's breaker defaults, key by key. */
      breaker: breakerSchema.partial().optional(),
      limits: simLimitsSchema.optional(),
    })
    .transform((t) => ({
      ...t,
      name: t.name ?? t.id,
      // GSM gateways do not carry international calls unless they say so (DECISIONS §5).
      international: t.international ?? t.kind === 'sip',
    }));
  return z.strictObject({ trunks: z.array(trunk) });
}

export const departmentsFileSchema = z.strictObject({
  departments: z.array(
    z.strictObject({
      id: idSchema,
      name: trimmed.optional(),
      parent: idSchema.nullable().default(null),
      /** The trunk whitelist; `"*"` = every trunk in trunks.yaml. Absent = no policy of its own. */
      trunks: z.union([z.literal('*'), z.array(idSchema)]).optional(),
      defaultTrunk: idSchema.nullable().default(null),
      rotateAfterManualLine: z.boolean().default(false),
      offNetFallback: z.boolean().default(true),
    }),
  ).default([]),
});

export const usersFileSchema = z.strictObject({
  users: z.array(
    z.strictObject({
      id: idSchema,
      name: trimmed.nullable().default(null),
      extension: idSchema.nullable().default(null),
      departments: z.array(idSchema).default([]),
    }),
  ).default([]),
});

export const masksFileSchema = z.strictObject({
  masks: z.array(
    z.strictObject({
      mask: z.union([trimmed, z.number().int()]).transform(String),
      trunk: idSchema,
      priority: z.number().int().default(100),
    }),
  ).default([]),
});

const country = z
  .string()
  .trim()
  .regex(/^[A-Za-z]{2}$/, 'an ISO 3166 alpha-2 country code')
  .transform((c) => c.toUpperCase());

export function callerIdsFileSchema(defaultCountry: NormalizeOptions['defaultCountry']) {
  const phone = phoneSchema(defaultCountry);
  return z.strictObject({
    priority: z.enum(['regional-first', 'personal-first']).default('regional-first'),
    main: phone.nullable().default(null),
    personal: z
      .array(
        z
          .strictObject({
            number: phone,
            user: idSchema.nullable().default(null),
            department: idSchema.nullable().default(null),
            origins: z.array(z.enum(CALL_ORIGINS as [CallOrigin, ...CallOrigin[]])).nullable().default(null),
          })
          .refine((p) => (p.user === null) !== (p.department === null), 'give exactly one of user and department'),
      )
      .default([]),
    regional: z
      .array(
        z
          .strictObject({
            number: phone,
            country: country.nullable().default(null),
            prefix: prefixSchema.nullable().default(null),
          })
          .refine((r) => (r.country === null) !== (r.prefix === null), 'give exactly one of country and prefix'),
      )
      .default([]),
    disabled: z.array(phone).default([]),
  });
}

export function crmFileSchema(defaultCountry: NormalizeOptions['defaultCountry']) {
  return z.strictObject({
    whitelist: z
      .strictObject({
        users: z.array(idSchema).default([]),
        extensions: z.array(idSchema).default([]),
        departments: z.array(idSchema).default([]),
      })
      .default({ users: [], extensions: [], departments: [] }),
    excluded: z
      .strictObject({
        numbers: z.array(phoneSchema(defaultCountry)).default([]),
        prefixes: z.array(prefixSchema).default([]),
      })
      .default({ numbers: [], prefixes: [] }),
    finishNonWhitelisted: z.boolean().default(false),
    createLeads: z.boolean().default(false),
  });
}

const timezone = z.string().trim().refine((tz) => {
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, 'an IANA time zone such as Europe/Moscow');

export const routingFileSchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(20).default(5),
  defaultCountry: country.optional(),
  timezone: timezone.default('Europe/Moscow'),
  /** Every trunk's breaker unless the trunk sets its own. */
  breaker: breakerSchema.partial().default({}).transform((b) => ({ ...DEFAULT_BREAKER, ...b })),
});
