/** Routing use cases: what the FastAGI server, the HTTP API and the CLI call. */
export { routeCall, explainRoute, type RoutingDeps } from './route-call.ts';
export { decisionToJson, decisionToText } from './render-decision.ts';
