import { join } from 'node:path';
import t from 'tap';
import { testThirdPartyApp } from './harness.js';

// The app `nest new` generates, on @nestjs/platform-express (see fixtures/thirdParty/nest-starter/main.js).
testThirdPartyApp(t, {
  name: 'nest-starter',
  dependencies: {
    '@nestjs/common': '12.5.1',
    '@nestjs/core': '12.5.1',
    '@nestjs/platform-express': '12.5.1',
    'reflect-metadata': '0.2.2',
    rxjs: '7.8.2',
  },
  entry: (appDir) => [join(appDir, 'main.js')],
  create: ['/notes/add?text=before'],
  read: { path: '/notes', answer: ['before'] },
});
