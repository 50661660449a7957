'use strict';
// JSON Schemas for one resource's routes. Fastify compiles each into an Ajv
// validator and a fast-json-stringify serializer when the app starts: this is
// most of a schema-heavy service's cold start.

const RECORD_META = {
  id: { type: 'integer' },
  createdAt: { type: 'string', format: 'date-time' },
  updatedAt: { type: 'string', format: 'date-time' },
  ageDays: { type: 'integer' },
};

const ERROR_RESPONSE = {
  type: 'object',
  properties: { statusCode: { type: 'integer' }, error: { type: 'string' }, message: { type: 'string' } },
};

function schemasFor(resource) {
  const { fields } = resource;
  const input = { type: 'object', required: ['name'], properties: fields, additionalProperties: false };
  const partial = { type: 'object', minProperties: 1, properties: fields, additionalProperties: false };
  const record = { type: 'object', required: ['id', 'name'], properties: { ...RECORD_META, ...fields } };
  const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'integer', minimum: 1 } } };
  const page = {
    type: 'object',
    properties: {
      limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
      offset: { type: 'integer', minimum: 0, default: 0 },
      sort: { type: 'string', enum: Object.keys({ ...RECORD_META, ...fields }), default: 'id' },
    },
  };
  const list = { type: 'object', properties: { total: { type: 'integer' }, items: { type: 'array', items: record } } };
  return {
    list: { querystring: page, response: { 200: list } },
    get: { params: idParams, response: { 200: record, 404: ERROR_RESPONSE } },
    create: { body: input, response: { 201: record, 400: ERROR_RESPONSE } },
    replace: { params: idParams, body: input, response: { 200: record, 404: ERROR_RESPONSE } },
    patch: { params: idParams, body: partial, response: { 200: record, 404: ERROR_RESPONSE } },
    remove: { params: idParams, response: { 200: { type: 'object', properties: { deleted: { type: 'boolean' } } } } },
    search: {
      body: { type: 'object', properties: { where: partial, limit: page.properties.limit }, additionalProperties: false },
      response: { 200: list },
    },
    count: { response: { 200: { type: 'object', properties: { count: { type: 'integer' } } } } },
    bulk: {
      body: { type: 'array', items: input, minItems: 1, maxItems: 50 },
      response: { 201: { type: 'object', properties: { created: { type: 'integer' }, batches: { type: 'integer' } } } },
    },
    history: {
      params: idParams,
      response: {
        200: {
          type: 'array',
          items: { type: 'object', properties: { at: { type: 'string' }, relative: { type: 'string' }, change: partial } },
        },
      },
    },
  };
}

module.exports = { schemasFor };
