export type { Resource, Phase } from './cycle/resource.js';
export { Context, getGlobalContext, DEFAULT_HOOK_TIMEOUT_MS } from './cycle/context.js';
export type { Registration, ResourceTiming } from './cycle/context.js';
export { checkpointRestore } from './cycle/checkpointRestore.js';
export type { CheckpointRestoreOptions, CheckpointRestoreResult } from './cycle/checkpointRestore.js';
export {
  CheckpointError,
  RestoreError,
  ResourceError,
  ConfigurationError,
  RecursiveCheckpointError,
  HookTimeoutError,
  HookStillRunningError,
} from './cycle/errors.js';
export { cracEvents } from './cycle/events.js';
export type { CracEventMap, CheckpointEvent, RestoreEvent, CheckpointFailedEvent } from './cycle/events.js';
export { restoreTime, uptimeSinceRestore } from './resumed/restoreClock.js';
export { restoreArguments } from './resumed/applyPayload.js';
export { instanceId, restoreId } from './resumed/identity.js';
export { cycleOutcome } from './cycle/cycleOutcome.js';
export type { CycleOutcome } from './cycle/cycleOutcome.js';
export { createSimulateEngine } from './engines/simulate.js';
export type { SimulateEngineOptions } from './engines/simulate.js';
export type { Engine, EngineOutcome, CheckpointRequest, RestorePayload } from './engines/engine.js';
export type { EngineName } from './engines/selectEngine.js';
export { RequestGate, GateOpenedError, GateNotClosedError } from './gate/requestGate.js';
export type { DrainOptions } from './gate/requestGate.js';
export { OpenResourcesError, ReopenError } from './checks/openResourceCheck.js';
export type { OpenResourceReport, PolicyOutcome, CheckOpenResourcesOptions } from './checks/openResourceCheck.js';
export { PolicyError } from './checks/policy.js';
export { JsonSyntaxError } from './checks/locatedJson.js';
export type { Descriptor } from './checks/fdTable.js';
export { notifyReady } from './launch/ready.js';
export { installCheckpointTrigger } from './launch/trigger.js';
export { createCriuEngine, CriuDumpError } from './engines/criu/criuEngine.js';
export { CriuNotFoundError } from './engines/criu/locate.js';
export type { CriuEngineOptions } from './engines/criu/criuEngine.js';
export { ImageError } from './image/imageMeta.js';
export { NativeBridgeError } from './native/bridge.js';
export { ReseedError } from './resumed/freshRandomness.js';
export { UntrustedPathError } from './trust/trustedPath.js';
export type { StepTiming, CycleStep } from './cycle/events.js';
