// Test helpers shared by the node-crac packages' tests, one concept per file.
// The shared HTTP scenarios load node-crac itself, so they have entry points
// of their own: '@node-crac/test-kit/http/adapterScenarios',
// '@node-crac/test-kit/http/criuEndToEnd' and '@node-crac/test-kit/http/requestDuringRestore'.
export { CRAC_BIN, CRAC_RESTORE_BIN } from './crac.js';
export { runCracApart } from './cracStreams.js';
export { criuProblem, criuUsable } from './criu.js';
export { type Deferred, deferred } from './deferred.js';
export { type DelayingProxy, delayingProxy } from './delayingProxy.js';
export { dirListing, tmpdirLeftovers } from './dirListing.js';
export { restoreEnvAtTeardown, setEnv } from './env.js';
export { closeServer } from './http/closeServer.js';
export { firstAnswer, type RestoredCopy, restoreCopies, stopServing } from './http/restoredCopies.js';
export { closedByServer, get, getJson, type Response } from './http/client.js';
export { type LoadOptions, type LoadResult, runLoad } from './http/load.js';
export { type ConnectionLoad, type ConnectionLoadOptions, type ConnectionLoadResult, type ConnectionOutcome, startConnectionLoad } from './http/connectionLoad.js';
export { fillFilesystem, tmpfsDir, type TmpfsOptions } from './mounts.js';
export { freePort, portFreed, tryConnect } from './ports.js';
export { listeningInode, readProcNetTcp, TCP_LISTEN, type TcpSocket } from './procNetTcp.js';
export { type Exit, leftOver, newToken, pidListeningOn, processesWith, runCrac, type Started, type StartOptions, startCrac, startFastRestore, startNode, stopProcess } from './processes.js';
export type { Teardown } from './teardown.js';
export { exportsExactly } from './entryExports.js';
export { homeTempDir, tempDir, trustedTempDir } from './tempDir.js';
export { packTarballs, PUBLISHED_PACKAGES } from './packedTarballs.js';
export { type HeldJobRun, type JobReport, runHeldJob } from './heldJob.js';
