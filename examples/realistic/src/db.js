'use strict';
// PostgreSQL through pg-crac (the pool drops its connections before a
// checkpoint and reconnects after a restore) with Kysely as the query layer.
const { Kysely, PostgresDialect, sql } = require('kysely');
const { createCracPool } = require('pg-crac');

const TABLE = 'crac_example_records';
const SEED_ROWS_PER_RESOURCE = 25;

function connectDatabase(config) {
  // verifyOnRestore: one connection is opened (SELECT 1) in the restored copy before it serves.
  const pool = createCracPool({ connectionString: config.DATABASE_URL, max: 10 }, { verifyOnRestore: true });
  return new Kysely({ dialect: new PostgresDialect({ pool }) });
}

/** Creates and seeds the table once; safe when several instances start together. */
async function migrate(db, resourceNames) {
  try {
    await sql`CREATE TABLE IF NOT EXISTS ${sql.table(TABLE)} (
      id bigserial PRIMARY KEY,
      resource text NOT NULL,
      name text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`.execute(db);
    await sql`CREATE INDEX IF NOT EXISTS crac_example_records_resource ON ${sql.table(TABLE)} (resource, id)`.execute(db);
  } catch (error) {
    // Two first starts racing on CREATE ... IF NOT EXISTS: the other one won.
    if (error.code !== '23505' && error.code !== '42P07') throw error;
  }
  const { count } = await db.selectFrom(TABLE).select(db.fn.countAll().as('count')).executeTakeFirstOrThrow();
  if (Number(count) > 0) return;
  const rows = resourceNames.flatMap((resource) =>
    Array.from({ length: SEED_ROWS_PER_RESOURCE }, (_, i) => ({
      resource,
      name: `${resource} ${i + 1}`,
      payload: JSON.stringify({ status: 'active', amount: (i * 7.5) % 300, tags: ['seed'] }),
      created_at: new Date(Date.UTC(2025, i % 12, 1 + (i % 28))),
    })),
  );
  await db.insertInto(TABLE).values(rows).execute();
}

module.exports = { TABLE, connectDatabase, migrate };
