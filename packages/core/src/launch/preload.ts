/**
 * Loaded with `node --require` (through NODE_OPTIONS) by `crac run` and
 * `crac checkpoint -- cmd` into every Node process they start, even one that
 * does not import node-crac itself: one line per feature.
 */
import { connectToLauncher } from './channel.js';
import { claimAppOnListen } from './listenClaim.js';
import { answerLauncherTriggers } from './trigger.js';

answerLauncherTriggers();
connectToLauncher();
claimAppOnListen();
