import t from 'tap';
import { Context, getGlobalContext, type Resource } from '../../src/index.js';
import { attachResource } from '../../src/adapter/index.js';

const ALREADY = 'test: this client is already registered';
const resource = (): Resource => ({ name: 'test resource', beforeCheckpoint() {}, afterRestore() {} });

t.test('registers the resource and returns the client with the registration on crac', async (t) => {
  const context = new Context();
  const client = { id: 1 };
  const attached = attachResource(client, { context, alreadyAttached: ALREADY }, () => ({ resource: resource(), detach() {} }));
  t.equal(attached, client);
  t.equal(context.size, 1);
  t.type(attached.crac.unregister, 'function');
  t.notOk(Object.keys(client).includes('crac'), 'crac is not enumerable');
  t.same(JSON.parse(JSON.stringify(client)), { id: 1 });
});

t.test('a client is attached once; the second attach() does not run', async (t) => {
  const context = new Context();
  const client = {};
  attachResource(client, { context, alreadyAttached: ALREADY }, () => ({ resource: resource(), detach() {} }));
  let ran = false;
  t.throws(
    () =>
      attachResource(client, { context, alreadyAttached: ALREADY }, () => {
        ran = true;
        return { resource: resource(), detach() {} };
      }),
    { name: 'TypeError', message: ALREADY },
  );
  t.notOk(ran);
  t.equal(context.size, 1);
});

t.test('unregister detaches once, removes crac and allows a new attach', async (t) => {
  const context = new Context();
  const client = {};
  let detached = 0;
  const attached = attachResource(client, { context, alreadyAttached: ALREADY }, () => ({ resource: resource(), detach: () => detached++ }));
  const { crac } = attached;
  crac.unregister();
  crac[Symbol.dispose]();
  t.equal(detached, 1);
  t.equal(context.size, 0);
  t.notOk('crac' in client);
  attachResource(client, { context, alreadyAttached: ALREADY }, () => ({ resource: resource(), detach() {} }));
  t.equal(context.size, 1);
});

t.test('an attach() that throws leaves the client unattached', async (t) => {
  const context = new Context();
  const client = {};
  t.throws(
    () =>
      attachResource(client, { context, alreadyAttached: ALREADY }, () => {
        throw new Error('not usable');
      }),
    { message: 'not usable' },
  );
  t.equal(context.size, 0);
  t.notOk('crac' in client);
  attachResource(client, { context, alreadyAttached: ALREADY }, () => ({ resource: resource(), detach() {} }));
  t.equal(context.size, 1);
});

t.test('without a context the global context is used', async (t) => {
  const global = getGlobalContext();
  const before = global.size;
  const attached = attachResource({}, { alreadyAttached: ALREADY }, () => ({ resource: resource(), detach() {} }));
  t.equal(global.size, before + 1);
  attached.crac.unregister();
  t.equal(global.size, before);
});
