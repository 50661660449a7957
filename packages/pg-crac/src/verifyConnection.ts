import type { PoolClient, PoolConfig } from 'pg';

/** A connection made after the restore could not run a query. */
export class ConnectionVerificationError extends Error {
  override name = 'ConnectionVerificationError';
}

/** Opens one connection and runs `SELECT 1` on it; the client goes back to the pool for the held work. */
export async function verifyConnection(connect: () => Promise<PoolClient>, options: PoolConfig): Promise<void> {
  let client: PoolClient | undefined;
  try {
    client = await connect();
    await client.query('SELECT 1');
    client.release();
  } catch (cause) {
    client?.release(true);
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new ConnectionVerificationError(`could not reach PostgreSQL at ${describeTarget(options)} after the restore: ${reason}`, { cause });
  }
}

/** `host:port/database` as pg would resolve it, without the password. */
function describeTarget(options: PoolConfig): string {
  if (options.connectionString) {
    try {
      const url = new URL(options.connectionString);
      url.password = '';
      return url.toString();
    } catch {
      return '(unparsable connectionString)';
    }
  }
  const env = process.env;
  const host = options.host ?? env.PGHOST ?? 'localhost';
  const port = options.port ?? env.PGPORT ?? 5432;
  const database = options.database ?? env.PGDATABASE ?? options.user ?? env.PGUSER ?? '';
  return `${host}:${port}/${database}`;
}
