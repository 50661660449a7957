export interface TimeoutOption {
  /** Who checks, the start of the message: 'pg-crac'. */
  adapter: string;
  /** The option's name: 'checkoutTimeoutMs'. */
  option: string;
  /** What the caller passed; undefined or null takes the default. */
  value: unknown;
  defaultMs: number;
}

/**
 * A timeout option in milliseconds, checked when the adapter is set up
 * rather than at the first checkpoint: a TypeError when it is not a number, a
 * RangeError when it is not above 0; both name the option and the fix.
 */
export function timeoutOption({ adapter, option, value, defaultMs }: TimeoutOption): number {
  if (value === undefined || value === null) return defaultMs;
  const fix = `pass a number above 0, or leave it out for the default (${defaultMs})`;
  if (typeof value !== 'number') throw new TypeError(`${adapter}: ${option} must be a number of milliseconds, got ${typeof value}; ${fix}`);
  if (!(value > 0)) throw new RangeError(`${adapter}: ${option} must be a positive number of milliseconds, got ${value}; ${fix}`);
  return value;
}
