import type { Teardown } from './teardown.js';

/**
 * Puts the named environment variables back as they are now when the test
 * ends, whatever the test (or a restore, which merges its env into
 * process.env) did to them meanwhile.
 */
export function restoreEnvAtTeardown(t: Teardown, names: string[]): void {
  const saved = names.map((name) => [name, process.env[name]] as const);
  t.teardown(() => {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}

/** Sets (a string) or unsets (undefined) environment variables for one test; the old values come back at teardown. */
export function setEnv(t: Teardown, values: Record<string, string | undefined>): void {
  restoreEnvAtTeardown(t, Object.keys(values));
  for (const [name, value] of Object.entries(values)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
}
