/**
 * Steps that take a message instead of ringing someone: a voicemail recorded on the PBX, a fax
 * received there. Both are linked to the call in the CRM when the call ends.
 */

export type MessageStep =
  /** A prompt (null = none), then Record of at most `maxSeconds`; `user` owns the call when no phone rang before. */
  | { readonly kind: 'voicemail'; readonly prompt: string | null; readonly maxSeconds: number; readonly user: string | null }
  /** ReceiveFAX (spandsp, audio or T.38); `user` owns the call when no phone rang before. */
  | { readonly kind: 'fax'; readonly user: string | null };

export type MessageKind = MessageStep['kind'];

/** What the dialplan does for a message step; the PBX reports how it ended (RECORD_STATUS, FAXSTATUS). */
export type MessageAction =
  | { readonly kind: 'voicemail'; readonly prompt: string | null; readonly maxSeconds: number; readonly owner: string | null }
  | { readonly kind: 'fax'; readonly owner: string | null };
