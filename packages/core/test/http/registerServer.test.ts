import { createServer } from 'node:http';
import t from 'tap';
import { registerServer } from 'node-crac/http';
import { portOf, runningServer, testAdapterScenarios } from '@node-crac/test-kit/http/adapterScenarios';

// The shared adapter behaviour on a bare node:http server.
testAdapterScenarios(t, async ({ context, routes, warmup, checkpointOnReady }) => {
  const server = createServer(async (req, res) => {
    const route = routes[new URL(req.url ?? '/', 'http://localhost').pathname];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    res.end(await route(req.headers));
  });
  const crac = registerServer(server, { context, warmup: warmup && (() => warmup(portOf(server))), checkpointOnReady });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return runningServer(server, crac);
});
