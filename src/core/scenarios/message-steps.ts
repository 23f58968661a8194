import type { MessageAction, MessageStep } from './message-model.ts';

/** The action of a message step (voicemail, fax): it always waits for the PBX. */
export function messageAction(step: MessageStep): MessageAction {
  return step.kind === 'voicemail'
    ? { kind: 'voicemail', prompt: step.prompt, maxSeconds: step.maxSeconds, owner: step.user }
    : { kind: 'fax', owner: step.user };
}

/** Why the step machine chose it (explain). */
export function messageReason(step: MessageStep): string {
  const owner = step.user === null ? 'the call\'s owner: the first manager rung' : `owned by user ${step.user} if no phone rang before`;
  return step.kind === 'voicemail'
    ? `take a voicemail of at most ${step.maxSeconds} s${step.prompt === null ? '' : ` after ${step.prompt}`} (${owner}); attached to the CRM call, missed`
    : `receive a fax (${owner}); its PDF goes to the client's CRM timeline`;
}

/** One line per action, for the terminal. */
export function describeMessageAction(a: MessageAction): string {
  const owner = a.owner === null ? '' : `, owner user ${a.owner}`;
  return a.kind === 'voicemail'
    ? `voicemail up to ${a.maxSeconds} s${a.prompt === null ? '' : ` after ${a.prompt}`}${owner}`
    : `receive a fax${owner}`;
}

/** How the PBX reports a message step in explain's walk: the caller left a message / the fax arrived. */
export function simulatedMessageResult(a: MessageAction): string {
  return a.kind === 'voicemail' ? 'HANGUP' : 'SUCCESS';
}
