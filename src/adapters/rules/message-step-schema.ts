import { z } from 'zod';
import type { Step } from '../../core/scenarios/model.ts';
import { idSchema } from './schema.ts';

/**
 * inbound.yaml's message steps:
 *   - voicemail: { prompt: leave-a-message, maxSeconds: 120, user: 1 }   (or `voicemail: {}`)
 *   - fax: { user: 1 }                                                      (or `fax: {}`)
 * `user` owns the call in the CRM when no phone rang before the step.
 */
export function messageStepSchemas(soundFile: z.ZodType<string>) {
  return [
    z.strictObject({
      voicemail: z.strictObject({
        prompt: soundFile.nullable().default(null),
        maxSeconds: z.number().int().min(5).max(600).default(120),
        user: idSchema.nullable().default(null),
      }),
    }).transform((s): Step => ({ kind: 'voicemail', ...s.voicemail })),
    z.strictObject({ fax: z.strictObject({ user: idSchema.nullable().default(null) }) })
      .transform((s): Step => ({ kind: 'fax', user: s.fax.user })),
  ] as const;
}
