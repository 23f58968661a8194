/** An AGI environment block as Asterisk 22 sends it (same fields and order as the lab captures). */
export function agiEnvironment(o: {
  uniqueid: string; exten: string; attempt: number; dialStatus?: string; cause?: number | string; callerId?: string; script?: string; eol?: string;
}): string {
  const eol = o.eol ?? '\n';
  const lines = [
    'agi_network: yes',
    `agi_network_script: ${o.script ?? 'route'}`,
    `agi_request: agi://127.0.0.1:4573/${o.script ?? 'route'}`,
    'agi_channel: PJSIP/100-00000001',
    'agi_language: en',
    'agi_type: PJSIP',
    `agi_uniqueid: ${o.uniqueid}`,
    'agi_version: 22.10.1',
    `agi_callerid: ${o.callerId ?? '100'}`,
    'agi_calleridname: unknown',
    'agi_callingpres: 0',
    'agi_callingani2: 0',
    'agi_callington: 0',
    'agi_callingtns: 0',
    'agi_dnid: unknown',
    'agi_rdnis: unknown',
    'agi_context: connector-outbound',
    `agi_extension: ${o.exten}`,
    'agi_priority: 4',
    'agi_enhanced: 0.0',
    'agi_accountcode: ',
    'agi_threadid: 139822625629888',
    `agi_arg_1: ${o.exten}`,
    `agi_arg_2: ${o.attempt}`,
    `agi_arg_3: ${o.dialStatus ?? ''}`,
    `agi_arg_4: ${o.cause ?? 0}`,
  ];
  return `${lines.join(eol)}${eol}${eol}`;
}

/** Every command the server may send, well-formed. */
export const WELL_FORMED_COMMAND = /^(GET VARIABLE [A-Z_]+|GET FULL VARIABLE \$\{CHANNEL\(linkedid\)\}|SET VARIABLE [A-Z_]+ "(?:[^"\\\r\n]|\\.)*")$/;
