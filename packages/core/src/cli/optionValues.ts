import { UsageError } from './command.js';

/** A positive number of seconds given as `name`, in milliseconds. */
export function seconds(text: string | undefined, name: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) throw new UsageError(`${name} must be a positive number of seconds, got "${text}"`);
  return value * 1000;
}

export function positiveInt(text: string, name: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new UsageError(`${name} must be a positive integer, got "${text}"`);
  return value;
}
