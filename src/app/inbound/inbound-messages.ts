import type { CompiledInbound } from '../../core/scenarios/compile.ts';
import type { MessageKind } from '../../core/scenarios/message-model.ts';
import { parsePosition } from '../../core/scenarios/position.ts';
import type { PlannedWrite } from '../crm/call-record-writes.ts';
import { DOCUMENT_PARAM } from '../crm/documents.ts';
import { RECORDING_PARAM } from '../crm/outbox-params.ts';

/** `AGI(…,DID,@message,FILE,LINKEDID,STATE,DETAIL)` from the caller's `h`, before `@end`. */
export interface MessageReport {
  readonly did: string;
  readonly linkedid: string;
  readonly caller: string | null;
  /** The file as the PBX wrote it (a voicemail's .wav, a fax's .tif). */
  readonly file: string;
  /** INBOUND_STATE of the message step: its scenario names the owner. */
  readonly state: string;
  /** RECORD_STATUS, or FAXSTATUS/FAXPAGES. */
  readonly detail: string;
}

export interface LeftMessage {
  readonly kind: MessageKind;
  readonly file: string;
  /** The step's `user`: owns the call when no phone rang before. */
  readonly owner: string | null;
  readonly detail: string;
  /** CRM_CREATE of the step's scenario (null = crm.yaml's), for a call the connector learns of only now. */
  readonly createLeads: boolean | null;
}

/** The message files on the PBX's disk, as the connector sees them (RECORDINGS_DIR). */
export interface MessageFiles {
  /** A fax's TIFF → a PDF beside it (rejects when it cannot: the TIFF itself is linked then). */
  pdfOf(file: string): Promise<{ readonly file: string; readonly converted: boolean }>;
  /** False for a voicemail with no sound in it (the caller hung up at the beep). */
  hasSound(file: string): Promise<boolean>;
}

/** The message a report names, or null for a file that is neither a voicemail (.wav) nor a fax (.tif). */
export function leftMessage(report: MessageReport, inbound: CompiledInbound): LeftMessage | null {
  const kind: MessageKind | null = /\.wav$/i.test(report.file) ? 'voicemail' : /\.tiff?$/i.test(report.file) ? 'fax' : null;
  if (kind === null) return null;
  const pos = parsePosition(report.state);
  const scenario = pos === null || pos === 'invalid' ? undefined : inbound.scenarioById.get(pos.scenario);
  const step = pos === null || pos === 'invalid' ? undefined : scenario?.steps[pos.step];
  const owner = step && (step.kind === 'voicemail' || step.kind === 'fax') ? step.user : null;
  return { kind, file: report.file, owner, detail: report.detail, createLeads: scenario?.createLeads ?? null };
}

/** The voicemail as the call's record (after its finish: Bitrix24 takes a record only then). */
export function voicemailWrite(linkedid: string, file: string, finishKey: string): PlannedWrite {
  return { key: `in:${linkedid}:voicemail`, method: 'telephony.externalcall.attachRecord', after: finishKey, inject: { CALL_ID: 'CALL_ID' }, params: { [RECORDING_PARAM]: file } };
}

/**
 * The fax on the timeline of the CRM entity the call was bound to (attachRecord takes only wav or
 * mp3): a comment with the PDF attached, the entity taken from the register's result.
 */
export function faxWrite(linkedid: string, registerKey: string, doc: { readonly file: string; readonly converted: boolean }, caller: string | null, detail: string): PlannedWrite {
  const [status = '', pages = ''] = detail.split('/');
  const comment = `Fax from ${caller ?? 'an unknown number'}${pages !== '' ? `, ${pages} page(s)` : ''}${status !== '' && status !== 'SUCCESS' ? ` (incomplete: ${status})` : ''}${doc.converted ? '' : ' (TIFF: could not be converted to PDF)'}`;
  return {
    key: `in:${linkedid}:fax`, method: 'crm.timeline.comment.add', after: registerKey,
    inject: { ENTITY_TYPE: 'CRM_ENTITY_TYPE', ENTITY_ID: 'CRM_ENTITY_ID' },
    params: { [DOCUMENT_PARAM]: doc.file, COMMENT: comment },
  };
}
