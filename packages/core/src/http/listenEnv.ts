import { ConfigurationError } from '../cycle/errors.js';

/**
 * Names of the environment variables that may move a server to a new port or
 * host at restore, or false to always listen again on the recorded address.
 */
export type ListenEnv = { port?: string; host?: string } | false;

export const DEFAULT_LISTEN_ENV: ListenEnv = { port: 'PORT', host: 'HOST' };

/** The listen variables' values at checkpoint time. */
export interface ListenEnvSnapshot {
  port: string | undefined;
  host: string | undefined;
}

/** What the restore changed: a new port and/or host. */
export interface ListenEnvChange {
  port?: number;
  host?: string;
}

export function snapshotListenEnv(names: ListenEnv): ListenEnvSnapshot {
  return names ? { port: read(names.port), host: read(names.host) } : { port: undefined, host: undefined };
}

/**
 * Only a value that differs from the one at checkpoint time counts: the image
 * carries the old environment, and an app that listens on another port than
 * PORT says must not be moved by a variable that the restore did not set.
 */
export function listenEnvChange(names: ListenEnv, before: ListenEnvSnapshot): ListenEnvChange {
  const change: ListenEnvChange = {};
  if (!names) return change;
  const now = snapshotListenEnv(names);
  if (names.port && now.port !== undefined && now.port !== before.port) change.port = parsePort(names.port, now.port);
  if (now.host !== undefined && now.host !== before.host) change.host = now.host;
  return change;
}

function read(name: string | undefined): string | undefined {
  if (!name) return undefined;
  const value = process.env[name];
  return value === '' ? undefined : value;
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || port > 65535) {
    throw new ConfigurationError(`${name}="${raw}" given at restore is not a TCP port (0-65535)`);
  }
  return port;
}
