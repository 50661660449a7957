/**
 * Loaded with `node --require` (through NODE_OPTIONS) by `crac run` and
 * `crac checkpoint -- cmd`: enables the checkpoint trigger in any Node app,
 * even one that does not import node-crac itself.
 */
import { installCheckpointTrigger } from './trigger.js';

if (process.env.CRAC_TRIGGER === 'signal') installCheckpointTrigger();
