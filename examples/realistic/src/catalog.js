'use strict';
// The service's domain: 30 resources, each with its own field set, so that
// every route compiles distinct validators and serializers (as in a real API)
// rather than 300 copies of one cached schema.

const RESOURCE_NAMES = [
  'accounts', 'addresses', 'audits', 'budgets', 'campaigns', 'carts', 'categories', 'comments',
  'contracts', 'coupons', 'customers', 'devices', 'documents', 'employees', 'events', 'invoices',
  'leads', 'locations', 'messages', 'notifications', 'orders', 'payments', 'products', 'projects',
  'refunds', 'reviews', 'shipments', 'subscriptions', 'tickets', 'warehouses',
];

// Field kinds a resource may carry; each resource takes a different subset.
const OPTIONAL_FIELDS = [
  ['status', { type: 'string', enum: ['draft', 'active', 'suspended', 'archived'] }],
  ['amount', { type: 'number', minimum: 0 }],
  ['currency', { type: 'string', pattern: '^[A-Z]{3}$' }],
  ['quantity', { type: 'integer', minimum: 0, maximum: 100000 }],
  ['email', { type: 'string', format: 'email' }],
  ['url', { type: 'string', format: 'uri' }],
  ['tags', { type: 'array', items: { type: 'string', maxLength: 32 }, maxItems: 20 }],
  ['dueDate', { type: 'string', format: 'date' }],
  ['priority', { type: 'integer', minimum: 1, maximum: 5 }],
  ['owner', {
    type: 'object',
    required: ['id'],
    properties: { id: { type: 'integer' }, name: { type: 'string' }, email: { type: 'string', format: 'email' } },
    additionalProperties: false,
  }],
  ['location', {
    type: 'object',
    properties: { lat: { type: 'number', minimum: -90, maximum: 90 }, lon: { type: 'number', minimum: -180, maximum: 180 } },
    additionalProperties: false,
  }],
  ['notes', { type: 'string', maxLength: 2000 }],
  ['lineItems', {
    type: 'array',
    maxItems: 200,
    items: {
      type: 'object',
      required: ['sku', 'quantity', 'unitPrice'],
      properties: {
        sku: { type: 'string', pattern: '^[A-Z0-9-]{4,32}$' },
        quantity: { type: 'integer', minimum: 1 },
        unitPrice: { type: 'number', minimum: 0 },
        discount: { type: 'number', minimum: 0, maximum: 1 },
        taxRate: { type: 'number', minimum: 0, maximum: 1 },
        description: { type: 'string', maxLength: 500 },
      },
      additionalProperties: false,
    },
  }],
  ['audit', {
    type: 'object',
    properties: {
      createdBy: { type: 'string', format: 'email' },
      updatedBy: { type: 'string', format: 'email' },
      source: { type: 'string', enum: ['api', 'import', 'admin', 'sync'] },
      ip: { type: 'string', format: 'ipv4' },
      requestId: { type: 'string', format: 'uuid' },
    },
    additionalProperties: false,
  }],
  ['attributes', {
    type: 'object',
    maxProperties: 50,
    patternProperties: { '^[a-z][a-zA-Z0-9]{0,31}$': { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
    additionalProperties: false,
  }],
];

/** Every resource with its name and its own fields (JSON Schema fragments by name). */
function resources() {
  return RESOURCE_NAMES.map((name, index) => {
    const fields = { name: { type: 'string', minLength: 1, maxLength: 120 } };
    OPTIONAL_FIELDS.forEach(([field, schema], bit) => {
      if ((index + 1) & (1 << (bit % 5)) || bit % 7 === index % 7) fields[field] = schema;
    });
    // One field only this resource has, as domain models do.
    fields[`${name.slice(0, -1)}Code`] = { type: 'string', pattern: `^${name.slice(0, 3).toUpperCase()}-[0-9]{4,8}$` };
    return { name, fields };
  });
}

module.exports = { resources };
