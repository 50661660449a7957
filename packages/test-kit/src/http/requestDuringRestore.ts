import { createServer, type RequestListener } from 'node:http';
import { type Context, cracEvents, type ResourceTiming } from 'node-crac';
import type { Teardown } from '../teardown.js';
import { type Response, get } from './client.js';
import { closeServer } from './closeServer.js';

/** What `requestDuringRestore` saw: whether the server listened before `watched` was back, and the answer to its request. */
export interface RequestDuringRestore {
  listenedBeforeWatched(): boolean | undefined;
  response(): Promise<Response>;
}

/**
 * Registers in `context` an HTTP server (answering with `handler`) that listens
 * in its afterRestore and sends itself one GET as soon as it does: for the
 * adapters' tests that a request arriving while the resource named `watched`
 * still reconnects after a restore waits for it. Closed at the end of the test.
 */
export function requestDuringRestore(t: Teardown, context: Context, watched: string, handler: RequestListener): RequestDuringRestore {
  let watchedEnded = false;
  const onResource = (timing: ResourceTiming): void => {
    if (timing.resource === watched && timing.phase === 'afterRestore') watchedEnded = true;
  };
  cracEvents.on('resource', onResource);
  t.teardown(() => void cracEvents.off('resource', onResource));
  const server = createServer(handler);
  t.teardown(() => closeServer(server));
  let listenedBefore: boolean | undefined;
  let answer: Promise<Response> | undefined;
  context.register({
    name: 'http server',
    beforeCheckpoint() {},
    afterRestore: () =>
      new Promise<void>((resolve) => {
        server.listen(0, '127.0.0.1', () => {
          listenedBefore = !watchedEnded;
          answer = get((server.address() as { port: number }).port, '/');
          resolve();
        });
      }),
  });
  return {
    listenedBeforeWatched: () => listenedBefore,
    response: () => answer ?? Promise.reject(new Error('the server never listened: no afterRestore ran')),
  };
}
