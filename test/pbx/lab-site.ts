import fs from 'node:fs';
import path from 'node:path';

/**
 * What stands in for this PBX's own configuration around the shipped dialplan: the trunks and
 * phones of the lab (Local channels into ../shared/asterisk/etc/extensions.conf) and the rules the
 * connector reads. Every trunk and phone announces itself with `UserEvent(LabTrunk)`, so a test
 * sees which trunk each attempt reached, with the dialled number and the caller ID presented.
 */

/** Lab trunks t1…t5, tried in this order; trunk N behaves as digit N of the last five digits says. */
export const TRUNKS = ['t1', 't2', 't3', 't4', 't5'] as const;

/** Digit → lab trunk behaviour (a context of the lab's extensions.conf). */
export const BEHAVIOUR = {
  answer: '0', busy: '1', noanswer: '2', congestion: '3', nobalance: '4',
  'temporary-failure': '5', rejected: '6', unallocated: '7', unavailable: '8', missing: '9',
} as const;
export type Behaviour = keyof typeof BEHAVIOUR;

/** Lengths of the numbers the lab trunks carry (E.164 digits: Russian 11, international 12-13). */
const LENGTHS = [11, 12, 13];

/** The ring time the lab trunks are given (their `ringTimeout`): NOANSWER in 2 s, not 60. */
export const RING_S = 2;

/** The contexts docs/asterisk.md tells an admin to edit, written for the lab. */
export function adminContexts(): Record<string, string> {
  return {
    'connector-failopen': `
exten => _X.,1,Dial(Local/\${EXTEN}@lab-failopen,${RING_S})
 same => n,Return()
exten => _+X.,1,Dial(Local/\${EXTEN}@lab-failopen,${RING_S})
 same => n,Return()`,
    'connector-emergency': `
exten => _X.,1,Dial(Local/\${EXTEN}@lab-emergency)
 same => n,Hangup()`,
    'connector-internal': `
exten => _XXX,1,Dial(Local/\${EXTEN}@lab-internal,30)
 same => n,Hangup()`,
  };
}

/** The inbound dialplan's admin-edited context: fail open to lab phone 150 (answers), announced. */
export function inboundAdminContexts(): Record<string, string> {
  return {
    'connector-inbound-failopen': `
exten => s,1,UserEvent(LabFailOpenGroup,Linkedid: \${CHANNEL(linkedid)})
 same => n,Dial(Local/150@phones,30)
 same => n,Hangup()`,
  };
}

// The number presented on the outbound leg is that leg's CALLERID (the ;1 half of the Local
// channel, set by connector-predial); the ;2 half running here sees it as its CONNECTEDLINE.
function announce(trunk: string): string {
  return `UserEvent(LabTrunk,Trunk: ${trunk},Exten: \${EXTEN},CallerID: \${CONNECTEDLINE(num)},Linkedid: \${CHANNEL(linkedid)})`;
}

/** The lab's trunks and desk phones: a dialplan file included after the shipped one. */
export function siteDialplan(): string {
  const out: string[] = [];
  // Digit 9 ("missing") has no extension in the trunk's context: Dial cannot even create the
  // channel, as when a dial string names a context or peer that does not exist (CHANUNAVAIL, cause 0).
  TRUNKS.forEach((t, i) => {
    out.push(`[lab-${t}]`);
    for (const n of LENGTHS) {
      out.push(`exten => _${'X'.repeat(n - 5 + i)}[0-8]${'X'.repeat(4 - i)},1,${announce(t)}`, ` same => n,Goto(lab-k\${EXTEN:${i - 5}:1},\${EXTEN},1)`);
    }
    out.push('');
  });
  const kinds = (Object.entries(BEHAVIOUR) as [Behaviour, string][]).filter(([kind]) => kind !== 'missing');
  for (const [kind, digit] of kinds) out.push(`[lab-k${digit}]`, `include => trunk-${kind}`, '');
  for (const [name, target] of [['failopen', 'trunk-answer'], ['emergency', 'trunk-answer'], ['internal', 'phones']] as const) {
    out.push(`[lab-${name}]`, `exten => _X.,1,${announce(name)}`, ` same => n,Goto(${target},\${EXTEN},1)`);
    out.push(`exten => _+X.,1,${announce(name)}`, ` same => n,Goto(${target},\${EXTEN:1},1)`, '');
  }
  // Desk phone 100: its calls run in [lab-phones], which hooks the connector in as docs/asterisk.md
  // step 4 says (include => connector-desk-phones), and sends short numbers to connector-outbound.
  out.push('[lab-desk-100]');
  for (const p of ['_X.', '_+X.']) out.push(`exten => ${p},1,Set(CALLERID(all)="100" <100>)`, ' same => n,Goto(lab-phones,${EXTEN},1)');
  out.push('', '[lab-phones]', 'include => connector-desk-phones', 'exten => _XXX,1,Goto(connector-outbound,${EXTEN},1)', '');
  // An inbound caller: once the scenario answers, presses LAB_KEYS (SendDTMF: w = half a second's pause), then stays.
  out.push('[lab-caller]', 'exten => s,1,GotoIf($["${LAB_KEYS}" = ""]?stay)', ' same => n,Wait(0.5)', ' same => n,SendDTMF(${LAB_KEYS})', ' same => n(stay),Wait(120)', '');
  return out.join('\n');
}

/** An AMI user for the test itself: reads everything, may do anything (the connector's own user is the shipped one). */
export function labManager(secret: string): string {
  // Asterisk drops a session whose socket stays full past writetimeout (100 ms by default): this
  // user reads every event, and a test process on a loaded machine can fall that far behind.
  return `[lab]\nsecret = ${secret}\npermit = 127.0.0.1/255.255.255.255\nread = all\nwrite = all\nwritetimeout = 10000\n`;
}

/**
 * The rules the connector reads: the shipped rules/ with the lab trunks in place of the real ones
 * (same price order t1 < … < t5, every trunk universal and allowed to the sales department).
 */
export function writeLabRules(shippedRules: string, dir: string): void {
  // The tier plays failures on the same lab trunks on purpose, call after call: their breakers stay closed.
  fs.cpSync(shippedRules, dir, { recursive: true });
  const trunks = TRUNKS.map((t, i) => `  - id: ${t}
    name: Lab ${t}
    kind: sip
    dial: Local/{digits}@lab-${t}
    numberFormat: e164-digits
    international: true
    callerIds: ['+74951234500', '+74951234510', '+74951234502']
    tariffs: { default: ${(1 + i / 10).toFixed(1)} }
    channels: 100
    priority: ${10 + i}
    ringTimeout: ${RING_S}
    line: lab-${t}
    breaker: { failures: 1000 }
`).join('\n');
  fs.writeFileSync(path.join(dir, 'trunks.yaml'), `trunks:\n${trunks}`);
  fs.writeFileSync(path.join(dir, 'masks.yaml'), 'masks: []\n');
  const departments = fs.readFileSync(path.join(dir, 'departments.yaml'), 'utf8')
    .replace(/trunks: \[gsm-mts[^\]]*\]/, `trunks: [${TRUNKS.join(', ')}]`)
    .replace('defaultTrunk: gsm-beeline', 'defaultTrunk: t1')
    .replace(/trunks: \[gsm-hr-mts[^\]]*\]/, 'trunks: [t1, t2]')
    .replace('defaultTrunk: gsm-hr-beeline', 'defaultTrunk: t1');
  fs.writeFileSync(path.join(dir, 'departments.yaml'), departments);
}
