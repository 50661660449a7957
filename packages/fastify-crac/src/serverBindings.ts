import type { Server } from 'node:http';
import type { FastifyInstance } from 'fastify';

const DESCRIPTION = 'fastify.serverBindings';

/**
 * The extra servers Fastify 4 and 5 start when listening on 'localhost', one
 * per other address the name resolves to (e.g. ::1 beside 127.0.0.1). Fastify
 * keeps them under a private symbol (kServerBindings) that it does not export,
 * so it is found by its description, on the instance or a parent it inherits from.
 */
export function serverBindings(fastify: FastifyInstance): Server[] {
  for (let object: object | null = fastify; object !== null; object = Object.getPrototypeOf(object)) {
    const symbol = Object.getOwnPropertySymbols(object).find((s) => s.description === DESCRIPTION);
    if (symbol) return (object as Record<symbol, Server[]>)[symbol] ?? [];
  }
  return [];
}
