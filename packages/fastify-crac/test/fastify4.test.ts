import t from 'tap';
import { testAdapterScenarios } from '@node-crac/test-kit/http/adapterScenarios';
import { type FastifyFactory, startFastify } from './fixtures/fastifyApp.js';
import { testFastifySpecifics } from './fixtures/fastifyScenarios.js';

// Fastify 4 through the `fastify4` alias; the plugin is the same.
const Fastify4 = require('fastify4') as FastifyFactory;

t.equal(require('fastify4/package.json').version.split('.')[0], '4');
testAdapterScenarios(t, startFastify(Fastify4));
testFastifySpecifics(t, Fastify4);
