import t from 'tap';
import { join } from 'node:path';
import { testThirdPartyApp } from './harness.js';

// `fastify generate app` (fastify-cli), started as its `npm start` does:
// fastify start with close-with-grace, which takes SIGUSR2 as "shut down".
testThirdPartyApp(t, {
  name: 'fastify-cli',
  generator: { package: 'fastify-cli@8.0.2', command: ['fastify-cli/cli.js', 'generate'] },
  dependencies: {
    '@fastify/autoload': '6.5.0',
    '@fastify/sensible': '6.0.6',
    fastify: '5.12.8',
    'fastify-cli': '8.0.2',
    'fastify-plugin': '6.0.1',
  },
  entry: (appDir) => [join(appDir, 'node_modules/fastify-cli/cli.js'), 'start', '-l', 'info', join(appDir, 'app.js')],
  create: ['/notes/add?text=before'],
  read: { path: '/notes', answer: ['before'] },
});
