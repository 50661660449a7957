import { join } from 'node:path';
import t from 'tap';
import { testWithCriu } from '@node-crac/test-kit/http/criuEndToEnd';

testWithCriu(t, { framework: 'express', script: join(__dirname, '../fixtures/app.js') });
