/**
 * Loaded with `node --require` (through NODE_OPTIONS) by `crac run` and
 * `crac checkpoint -- cmd` into every Node process they start, even one that
 * does not import node-crac itself: one line per feature.
 */
import { installAutoIoredis } from '../auto/ioredisClients.js';
import { installAutoPg } from '../auto/pgPools.js';
import { installAutoRegistration } from '../http/autoRegister.js';
import { listenOnHandedSocket } from '../http/handedListenPatch.js';
import { connectToLauncher } from './channel.js';
import { claimAppOnListen } from './listenClaim.js';
import { LAUNCH_ENV } from './protocol.js';
import { answerLauncherTriggers } from './trigger.js';

answerLauncherTriggers();
connectToLauncher();
claimAppOnListen();
// Before the automatic registration: its listen patch calls through this one.
if (process.env[LAUNCH_ENV.listen]) listenOnHandedSocket();
const auto = new Set((process.env[LAUNCH_ENV.autoRegister] ?? '').split(','));
if (auto.has('servers')) installAutoRegistration();
if (auto.has('pg')) installAutoPg();
if (auto.has('ioredis')) installAutoIoredis();
