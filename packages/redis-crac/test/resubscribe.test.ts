import t from 'tap';
import { checkpointRestore, Context } from 'node-crac';
import { cracRedis } from '../src/index.js';
import { redisVersions, scratchPrefix } from './fixtures/redisVersions.js';

for (const version of redisVersions) {
  t.test(`${version.label}: a subscriber receives messages published after the restore, on channels and patterns`, async (t) => {
    const prefix = scratchPrefix(t);
    const context = new Context();
    const subscriber = cracRedis(version.connect(t), { context, name: 'subscriber' });
    const publisher = cracRedis(version.connect(t), { context, name: 'publisher' });
    await subscriber.subscribe(`${prefix}news`);
    await subscriber.psubscribe(`${prefix}events.*`);

    await checkpointRestore({ engine: 'simulate', context });

    const message = new Promise<[string, string]>((resolve) => subscriber.once('message', (channel: string, text: string) => resolve([channel, text])));
    const pmessage = new Promise<[string, string, string]>((resolve) =>
      subscriber.once('pmessage', (pattern: string, channel: string, text: string) => resolve([pattern, channel, text])),
    );
    // PUBLISH returns how many subscribers got the message: 1 proves the server knows the new subscription.
    t.equal(await publisher.publish(`${prefix}news`, 'hello again'), 1);
    t.equal(await publisher.publish(`${prefix}events.login`, 'alice'), 1);
    t.same(await message, [`${prefix}news`, 'hello again']);
    t.same(await pmessage, [`${prefix}events.*`, `${prefix}events.login`, 'alice']);
  });
}
