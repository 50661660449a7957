'use strict';
// The --connections pieces that need no CRIU: the open-loop load against a
// local server and a closed port, the counts, their summary and the report section.
const t = require('tap');
const http = require('node:http');
const { countOutcomes, startConnectionLoad } = require('../lib/connectionLoad');
const { summarizeConnections } = require('../lib/connections');
const { connectionsSection } = require('../lib/report');
const { freePort } = require('../lib/ports');

t.test('the load counts answered connections, and refused ones on a closed port', async (t) => {
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.teardown(() => server.close());
  const load = startConnectionLoad({ port: server.address().port, path: '/', intervalMs: 2, limit: 10 });
  while (load.answered() < 10) await new Promise((r) => setTimeout(r, 5));
  t.match(countOutcomes(await load.stop()), { sent: 10, answered: 10, refused: 0, reset: 0, other: 0 });
  const closed = startConnectionLoad({ port: await freePort(), path: '/', intervalMs: 2, limit: 5 });
  while (closed.sent() < 5) await new Promise((r) => setTimeout(r, 5));
  t.match(countOutcomes(await closed.stop()), { sent: 5, answered: 0, refused: 5 });
  t.same(countOutcomes([{ outcome: 'reset' }, { outcome: 'HTTP 500' }]), { sent: 2, answered: 0, refused: 0, reset: 1, other: 1 });
});

t.test('summaries sum the counts over the runs, take the median time and the longest wait; the report shows them', async (t) => {
  const sample = (refused, ms) => ({ sent: 10, answered: 10 - refused, refused, reset: 0, other: 0, checkpointMs: ms, firstAnswerMs: ms, longestWaitMs: ms });
  const round = (refused, ms) => ({
    checkpoint: { closed: sample(refused, ms), '--listen': sample(0, ms) },
    restore: { closed: sample(refused, ms), '--listen': sample(1, ms), LISTEN_FDS: sample(0, ms) },
  });
  const [summary] = summarizeConnections([{ name: 'hello', description: 'd', rounds: [round(3, 100), round(4, 300), round(5, 200)] }]);
  t.match(summary.checkpoint.closed, { sent: 30, answered: 18, refused: 12, checkpointMs: 200, longestWaitMs: 300 });
  t.match(summary.restore['--listen'], { refused: 3, firstAnswerMs: 200 });
  const text = connectionsSection({ command: 'node bench/run.js --connections', node: 'v20', load: '1 / 1', intervalMs: 4, tailMs: 500, restoreAnswers: 100, examples: [summary] }).join('\n');
  t.match(text, '| `hello` | checkpoint | `closed` | 3 | 30 | 18 / 12 / 0 | 200 ms | 300 ms |');
  t.match(text, '| `hello` | restore | `LISTEN_FDS` | 3 | 30 | 30 / 0 / 0 | 200 ms | 300 ms |');
  t.same(connectionsSection(undefined), []);
});
