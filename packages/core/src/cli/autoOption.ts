import { UsageError } from './command.js';

/** The libraries `--auto` can register the clients of, and the adapter each goes through. */
export const AUTO_ADAPTERS = { pg: 'pg-crac', ioredis: 'redis-crac' } as const;
export type AutoAdapter = keyof typeof AUTO_ADAPTERS;

/** `--auto pg,ioredis`, checked against --no-auto; [] when not given. */
export function autoAdapters(value: string | undefined, noAuto: boolean): AutoAdapter[] {
  if (value === undefined) return [];
  if (noAuto) throw new UsageError('--auto adds to the automatic registration that --no-auto turns off: give one of them');
  const names = value.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !(name in AUTO_ADAPTERS));
  if (unknown.length > 0 || names.length === 0) {
    throw new UsageError(`--auto takes ${Object.keys(AUTO_ADAPTERS).join(', ')} (comma-separated), not "${unknown.join(',') || value}"`);
  }
  return [...new Set(names as AutoAdapter[])];
}
