import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { testThirdPartyApp } from './harness.js';

// json-server on its own db.json (a fresh copy per test: copies share the disk).
// It loads the file into memory at start; the file is emptied after the
// checkpoint, so the copies can only answer from the memory in the image.
testThirdPartyApp(t, {
  name: 'json-server',
  dependencies: { 'json-server': '0.17.4' },
  // json-server does not read PORT: given on its command line, the port still follows the restore's PORT.
  entry: (appDir, dataDir, port) => [join(appDir, 'node_modules/json-server/lib/cli/bin.js'), join(dataDir, 'db.json'), '--host', '127.0.0.1', '--port', String(port)],
  create: ['/notes/1'],
  read: { path: '/notes/1', answer: { id: 1, text: 'before' } },
  afterCheckpoint: (dataDir) => writeFileSync(join(dataDir, 'db.json'), '{ "notes": [] }\n'),
});
