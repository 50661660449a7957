import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type * as types from './options.js';
import { setupCrac } from './setupCrac.js';

/**
 * Fastify plugin: `fastify.register(fastifyCrac, options)`. Before a
 * checkpoint the server (and Fastify's extra bindings) stops accepting and
 * drains; after the restore it listens again. State is on `fastify.crac`.
 */
function fastifyCrac(fastify: FastifyInstance, options: types.FastifyCracOptions, done: (error?: Error) => void): void {
  setupCrac(fastify, options);
  done();
}

// fastify-plugin also makes the function its own `default` and `fastifyCrac`
// export, so require(), default and named imports all give the plugin.
// onListen, which the plugin uses, arrived in Fastify 4.23.
fastifyPlugin(fastifyCrac, { name: 'fastify-crac', fastify: '^4.23.0 || 5.x' });

declare namespace fastifyCrac {
  export type FastifyCracOptions = types.FastifyCracOptions;
  export type FastifyCrac = types.FastifyCrac;
  export const fastifyCrac: typeof import('./index.js');
  export { fastifyCrac as default };
}

export = fastifyCrac;
// Node's ESM import learns a CommonJS module's named exports by reading its
// source, and never sees the `fastifyCrac` property fastify-plugin adds at run
// time: this line names it, so that `import { fastifyCrac } from 'fastify-crac'`
// works. (TypeScript emits it before `module.exports = fastifyCrac`, which
// then carries that property.)
module.exports.fastifyCrac = fastifyCrac;
