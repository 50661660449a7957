// node-crac/http: the node:http drain-and-relisten piece shared by the HTTP adapters.
export { createServerResource, DEFAULT_DRAIN_TIMEOUT_MS, DrainTimeoutError } from './serverResource.js';
export type { ServerResource, ServerResourceOptions, ServerStatus } from './serverResource.js';
export { registerServer } from './registerServer.js';
export type { CracServer, RegisterServerOptions } from './registerServer.js';
export { becomeReady } from './readyFlow.js';
export type { ReadyOptions, ReadyOutcome } from './readyFlow.js';
export { trackConnections } from './connectionTracker.js';
export type { DrainReport, DrainTimeoutPolicy } from './drain.js';
export type { InFlightRequest } from './connectionTracker.js';
export { ListenError } from './listen.js';
export { HandedListenerError } from './handedListener.js';
export { DEFAULT_LISTEN_ENV } from './listenEnv.js';
export type { ListenEnv } from './listenEnv.js';
export { formatAddress } from './listenAddress.js';
export type { ListenAddress } from './listenAddress.js';
export { installAutoRegistration } from './autoRegister.js';
