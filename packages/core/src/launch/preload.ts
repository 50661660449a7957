/**
 * Loaded with `node --require` (through NODE_OPTIONS) by `crac run` and
 * `crac checkpoint -- cmd`: enables the checkpoint trigger in any Node app,
 * even one that does not import node-crac itself.
 */
import { LAUNCH_ENV } from './protocol.js';
import { installCheckpointTrigger } from './trigger.js';

if (process.env[LAUNCH_ENV.trigger] === 'signal') installCheckpointTrigger();
