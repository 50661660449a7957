import t from 'tap';
import { patchMethod } from '../../src/adapter/index.js';

class Counter {
  count = 0;
  add(n: number): number {
    return (this.count += n);
  }
}

t.test('the replacement gets the original bound to the object', async (t) => {
  const counter = new Counter();
  patchMethod(counter, 'add', (add) => (n) => add(n * 10));
  t.equal(counter.add(2), 20);
  t.equal(counter.count, 20);
  t.equal(new Counter().add(2), 2, 'other instances keep the prototype method');
});

t.test('undo shows the inherited method again', async (t) => {
  const counter = new Counter();
  const unpatch = patchMethod(counter, 'add', () => () => -1);
  t.ok(Object.hasOwn(counter, 'add'));
  unpatch();
  t.notOk(Object.hasOwn(counter, 'add'));
  t.equal(counter.add, Counter.prototype.add);
});

t.test('undo puts an own method back as it was', async (t) => {
  const own = (): string => 'own';
  const target = { greet: own };
  const unpatch = patchMethod(target, 'greet', (greet) => () => `patched ${greet()}`);
  t.equal(target.greet(), 'patched own');
  unpatch();
  t.equal(target.greet, own);
  t.same(Object.getOwnPropertyDescriptor(target, 'greet'), { value: own, writable: true, enumerable: true, configurable: true });
});
