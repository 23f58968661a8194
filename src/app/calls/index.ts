/** The PBX side's use cases: what the composition root wires. */
export { callRecordOf, type CallAttemptRecord, type CallRecord, type StoredCall, type StoredPlan } from './call-record.ts';
export { originateClickToCall, type ClickToCallDeps, type ClickToCallInput, type ClickToCallResult } from './click-to-call.ts';
export { RouteService, CLICK_TO_CALL_PREFIX, type ChannelProbe, type RouteAnswer, type RouteQuery, type RouteServiceDeps } from './route-service.ts';
export { CallTracker, CONNECTOR_CONTEXT, type CallTrackerDeps } from './tracker.ts';
export { reconcileWithPbx, liveChannelIds, type AmiActionPort } from './reconcile.ts';
export { ChannelCounter } from './channel-counter.ts';
export type { CallStore, Originator, OriginateRequest, Clock } from './ports.ts';
