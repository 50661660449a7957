import { ConfigurationError } from '../cycle/errors.js';
import { createCriuEngine } from './criu/criuEngine.js';
import type { Engine } from './engine.js';
import { createSimulateEngine } from './simulate.js';

export type EngineName = 'criu' | 'simulate';

/** The engine named by the option, else by CRAC_ENGINE; no engine is a clear error, never a no-op. */
export function selectEngine(choice: EngineName | Engine | undefined): Engine {
  if (choice !== undefined && typeof choice === 'object') return choice;
  const name = choice ?? process.env.CRAC_ENGINE;
  if (name === undefined || name === '') {
    throw new ConfigurationError(
      "No checkpoint engine configured: pass { engine: 'criu' } to checkpointRestore() or set CRAC_ENGINE=criu " +
        "(CRAC_ENGINE=simulate runs the hooks without writing an image). 'crac checkpoint' and 'crac run' set it for you.",
    );
  }
  switch (name) {
    case 'criu':
      return createCriuEngine();
    case 'simulate':
      return createSimulateEngine();
    default:
      throw new ConfigurationError(`Unknown checkpoint engine "${name}": use 'criu' or 'simulate'`);
  }
}
