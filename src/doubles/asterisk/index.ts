export { startPbxDouble, type PbxDouble, type PbxDoubleOptions, type DeskCall } from './pbx-double.ts';
export type { TrunkScript, TrunkRule, TrunkOutcome, PhoneScript, DialInfo } from './scripts.ts';
export type { AmiUser } from './ami-session.ts';
export type { EmittedEvent } from './event-bus.ts';
export type { FastAgiTarget } from './fastagi-caller.ts';
export { DEMO_TRUNKS, DEMO_PHONE } from './demo-script.ts';
