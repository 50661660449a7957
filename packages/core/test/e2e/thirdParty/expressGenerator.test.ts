import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { testThirdPartyApp } from './harness.js';

// `express --no-view app` (express-generator), started as its `npm start` does: node ./bin/www.
testThirdPartyApp(t, {
  name: 'express-generator',
  generator: { package: 'express-generator@4.16.1', command: ['express-generator/bin/express-cli.js', '--no-view'] },
  dependencies: { 'cookie-parser': '1.4.7', debug: '2.6.9', express: '4.16.3', morgan: '1.9.1' },
  edit: (appDir) => {
    const appJs = join(appDir, 'app.js');
    const mount = "app.use('/users', usersRouter);";
    const text = readFileSync(appJs, 'utf8');
    if (!text.includes(mount)) throw new Error(`express-generator's app.js no longer has ${mount}`);
    writeFileSync(appJs, text.replace(mount, `${mount}\napp.use('/notes', require('./routes/notes'));`));
  },
  entry: (appDir) => [join(appDir, 'bin/www')],
  create: ['/notes/add?text=before'],
  read: { path: '/notes', answer: ['before'] },
});
