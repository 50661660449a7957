'use strict';
// What the benchmark, the demo and the tests know about each example: where it
// lives, which route says "ready" (200), and which requests make up its load.
const { join } = require('node:path');
const { request } = require('./http');

const EXAMPLES_DIR = join(__dirname, '..', '..', 'examples');

const get = (path) => ({ method: 'GET', path });

const EXAMPLES = [
  {
    name: 'hello',
    description: 'Fastify, one route',
    readyPath: '/',
    loadPlan: async () => [get('/')],
  },
  {
    name: 'express',
    description: 'Express, three routes',
    readyPath: '/',
    loadPlan: async () => [get('/'), get('/todos')],
  },
  {
    name: 'koa',
    description: 'Koa with @koa/router',
    readyPath: '/',
    loadPlan: async () => [get('/'), get('/time')],
  },
  {
    name: 'realistic',
    description: 'Fastify, 302 routes with JSON schemas, PostgreSQL (Kysely), Redis, rate limit, JWT, OpenAPI, Joi, zod, date-fns, lodash, pino',
    // /health answers 200 only once PostgreSQL and Redis both answer.
    readyPath: '/health',
    env: { LOG_LEVEL: 'warn' },
    loadPlan: realisticPlan,
  },
].map((example) => ({ dir: join(EXAMPLES_DIR, example.name), env: {}, ...example }));

/**
 * Five requests per resource (list, get by id, count, history, search: reads of
 * PostgreSQL and Redis, one of them a validated POST body), plus /health.
 * Record ids are read once from a running instance, before any measurement.
 */
async function realisticPlan(baseUrl) {
  const { resources } = require(join(EXAMPLES_DIR, 'realistic', 'src', 'catalog.js'));
  const plan = [get('/health')];
  for (const { name } of resources()) {
    const { status, body } = await request(`${baseUrl}/api/${name}?limit=5`);
    if (status !== 200) throw new Error(`GET /api/${name} answered ${status}`);
    const [first] = JSON.parse(body).items;
    if (!first) throw new Error(`no ${name} records in the database`);
    plan.push(
      get(`/api/${name}?limit=5`),
      get(`/api/${name}/${first.id}`),
      get(`/api/${name}/count`),
      get(`/api/${name}/${first.id}/history`),
      { method: 'POST', path: `/api/${name}/search`, body: { where: { name: first.name }, limit: 5 } },
    );
  }
  return plan;
}

function findExample(name) {
  const example = EXAMPLES.find((e) => e.name === name);
  if (!example) throw new Error(`no example "${name}" (have: ${EXAMPLES.map((e) => e.name).join(', ')})`);
  return example;
}

module.exports = { EXAMPLES, findExample };
