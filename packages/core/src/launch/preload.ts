/**
 * Loaded with `node --require` (through NODE_OPTIONS) by `crac run` and
 * `crac checkpoint -- cmd`: enables the checkpoint trigger in any Node app,
 * even one that does not import node-crac itself, and registers the servers
 * it listens on unless the launcher was given --no-auto.
 */
import { installAutoRegistration } from '../http/autoRegister.js';
import { LAUNCH_ENV } from './protocol.js';
import { installCheckpointTrigger } from './trigger.js';

if (process.env[LAUNCH_ENV.trigger] === 'signal') installCheckpointTrigger();
if (process.env[LAUNCH_ENV.autoRegister] === 'servers') installAutoRegistration();
