import express from 'express';
import t from 'tap';
import { portOf, runningServer, testAdapterScenarios } from '@node-crac/test-kit/http/adapterScenarios';
import { register } from '../src/index.js';

// The server app.listen() returns, registered right away.
testAdapterScenarios(t, async ({ context, routes, warmup, checkpointOnReady }) => {
  const app = express();
  for (const [path, route] of Object.entries(routes)) app.get(path, async (req, res) => void res.send(await route(req.headers)));
  const server = app.listen(0, '127.0.0.1');
  const crac = register(server, { context, warmup: warmup && ((s) => warmup(portOf(s))), checkpointOnReady });
  await new Promise((resolve) => server.once('listening', resolve));
  return runningServer(server, crac);
});
