import t from 'tap';
import Fastify from 'fastify';
import { testAdapterScenarios } from '@node-crac/test-kit/http/adapterScenarios';
import { startFastify } from './fixtures/fastifyApp.js';
import { testFastifySpecifics } from './fixtures/fastifyScenarios.js';

t.equal(require('fastify/package.json').version.split('.')[0], '5');
testAdapterScenarios(t, startFastify(Fastify));
testFastifySpecifics(t, Fastify);
