import type { RecordingResolver } from './recordings.ts';

/**
 * A param of a `crm.timeline.comment.add` entry naming a document beside the recordings (a fax's
 * PDF): replaced when the entry is sent by the comment's `fields` with the file inline, so the
 * outbox stores the path, never the bytes, and the portal keeps the file (no link that expires).
 */
export const DOCUMENT_PARAM = '$document';

export const DOCUMENT_EXTENSIONS = ['.pdf', '.tif', '.tiff'] as const;

/**
 * The comment's params as Bitrix24 takes them: `fields: { ENTITY_TYPE, ENTITY_ID, COMMENT, FILES }`,
 * the entity injected from the register's result (CRM_ENTITY_TYPE is upper case there, lower case here).
 */
export async function timelineCommentParams(params: Readonly<Record<string, unknown>>, documents: Pick<RecordingResolver, 'document'>): Promise<Record<string, unknown>> {
  const { [DOCUMENT_PARAM]: file, ENTITY_TYPE: type, ENTITY_ID: id, COMMENT: comment, ...rest } = params;
  const doc = await documents.document(String(file), DOCUMENT_EXTENSIONS);
  return {
    ...rest,
    fields: { ENTITY_TYPE: String(type).toLowerCase(), ENTITY_ID: Number(id), COMMENT: String(comment ?? ''), FILES: [[doc.name, doc.content]] },
  };
}
