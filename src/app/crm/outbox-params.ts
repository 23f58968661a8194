/**
 * A param of an attachRecord entry naming the recording file: replaced when the entry is sent by
 * FILE_CONTENT (base64) or a signed RECORD_URL, so the outbox never stores the audio itself.
 */
export const RECORDING_PARAM = '$recording';
