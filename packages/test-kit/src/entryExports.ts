import type { Test } from 'tap';

/** `entry` exports exactly `names` (what the package documents, in any order), none of them undefined. */
export function exportsExactly(t: Test, entry: object, names: string[]): void {
  t.same(Object.keys(entry).sort(), [...names].sort(), 'the documented exports, and no others');
  for (const [name, value] of Object.entries(entry)) t.not(value, undefined, `${name} is defined`);
}
