import type { Pool, PoolConfig } from 'pg';

/** Reads connection settings from the environment; undefined when it gives none. */
export type ConfigFromEnv = (env: NodeJS.ProcessEnv) => PoolConfig | undefined;

/** The default: DATABASE_URL, as a connection string. PG* variables pg reads by itself for every new connection. */
export const databaseUrlFromEnv: ConfigFromEnv = (env) => (env.DATABASE_URL ? { connectionString: env.DATABASE_URL } : undefined);

/**
 * Remembers what the environment said before the checkpoint, so that after
 * the restore only settings the restore changed are applied: a configuration
 * given in code stays as it was when the environment did not move.
 */
export class RestoreConfig {
  #before: string | undefined;

  constructor(private readonly fromEnv: ConfigFromEnv) {}

  recordBeforeCheckpoint(): void {
    this.#before = JSON.stringify(this.fromEnv(process.env));
  }

  /** Puts the settings the restore changed into the pool's options, used by every client it creates from now on. */
  applyAfterRestore(pool: Pool): void {
    const config = this.fromEnv(process.env);
    if (config === undefined || JSON.stringify(config) === this.#before) return;
    for (const [key, value] of Object.entries(config)) {
      // pg-pool keeps the password non-enumerable, out of logs; keep it so.
      Object.defineProperty(pool.options, key, { value, writable: true, configurable: true, enumerable: key !== 'password' });
    }
  }
}
