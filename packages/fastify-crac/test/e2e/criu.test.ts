import { join } from 'node:path';
import t from 'tap';
import { testWithCriu } from '../../../core/test/http/fixtures/criuEndToEnd.js';

testWithCriu(t, { framework: 'fastify', script: join(__dirname, '../fixtures/app.js') });
