import t from 'tap';
import { timeoutOption } from '../../src/adapter/index.js';

const check = (value: unknown): number => timeoutOption({ adapter: 'test', option: 'waitMs', value, defaultMs: 5000 });

t.test('a positive number is taken as it is', async (t) => {
  t.equal(check(1), 1);
  t.equal(check(0.5), 0.5);
});

t.test('undefined and null take the default', async (t) => {
  t.equal(check(undefined), 5000);
  t.equal(check(null), 5000);
});

t.test('zero, negative numbers and NaN are a RangeError naming the option and the fix', async (t) => {
  const message = 'test: waitMs must be a positive number of milliseconds, got 0; pass a number above 0, or leave it out for the default (5000)';
  t.throws(() => check(0), { name: 'RangeError', message });
  t.throws(() => check(-1), { name: 'RangeError', message: /waitMs .* got -1/ });
  t.throws(() => check(NaN), { name: 'RangeError', message: /got NaN/ });
});

t.test('anything but a number is a TypeError naming the option and the fix', async (t) => {
  t.throws(() => check('5000'), {
    name: 'TypeError',
    message: 'test: waitMs must be a number of milliseconds, got string; pass a number above 0, or leave it out for the default (5000)',
  });
});
