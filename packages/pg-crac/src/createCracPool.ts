import pg from 'pg';
import { RequestGate, type Context } from 'node-crac';
import { attachResource, HeldWork, timeoutOption, type WithCrac } from 'node-crac/adapter';
import { CracPoolResource } from './cracPoolResource.js';
import { gateConnect } from './gateConnect.js';
import { databaseUrlFromEnv, RestoreConfig, type ConfigFromEnv } from './restoreConfig.js';

export interface CracPoolOptions {
  /** Names the pool in errors and events. Default: 'pg-crac pool'. */
  name?: string;
  /** The context to register with. Default: node-crac's global context. */
  context?: Context;
  /**
   * How long a checkpoint waits for checked-out clients (transactions in
   * progress) before it fails. Keep it below the hook timeout
   * (hookTimeoutMs, default 10 s) so the failure names the clients. Default: 5000.
   */
  checkoutTimeoutMs?: number;
  /**
   * Connection settings to take from the environment after a restore; applied
   * when they differ from what the environment gave before the checkpoint.
   * Default: DATABASE_URL as the connection string. `false`: never.
   */
  configFromEnv?: ConfigFromEnv | false;
  /** After a restore, open one connection and run `SELECT 1`; a failure is reported as a RestoreError. Default: false. */
  verifyOnRestore?: boolean;
}

/** The pool, now registered; `crac.unregister()` takes it out of checkpoints again. */
export type CracPool<P extends pg.Pool = pg.Pool> = WithCrac<P>;

export const DEFAULT_CHECKOUT_TIMEOUT_MS = 5000;

/**
 * Makes a pg Pool take part in checkpoints: creates one from `config`, or
 * takes an existing pool (then the same object is returned).
 */
export function createCracPool<P extends pg.Pool>(pool: P, options?: CracPoolOptions): CracPool<P>;
export function createCracPool(config?: pg.PoolConfig, options?: CracPoolOptions): CracPool;
export function createCracPool(poolOrConfig?: pg.Pool | pg.PoolConfig, options: CracPoolOptions = {}): CracPool {
  const checkoutTimeoutMs = timeoutOption({
    adapter: 'pg-crac',
    option: 'checkoutTimeoutMs',
    value: options.checkoutTimeoutMs,
    defaultMs: DEFAULT_CHECKOUT_TIMEOUT_MS,
  });
  const pool = isPool(poolOrConfig) ? poolOrConfig : new pg.Pool(poolOrConfig);
  const alreadyAttached = 'pg-crac: this pool is already registered; call createCracPool() once per pool';
  return attachResource(pool, { context: options.context, alreadyAttached }, () => {
    if (pool.ending) throw new TypeError('pg-crac: this pool was ended (pool.end() is final); create a new pool');
    const name = options.name ?? 'pg-crac pool';
    const held = new HeldWork(new RequestGate());
    const gated = gateConnect(pool, held, name);
    const configFromEnv = options.configFromEnv ?? databaseUrlFromEnv;
    const resource = new CracPoolResource(pool, held, gated, {
      name,
      checkoutTimeoutMs,
      verifyOnRestore: options.verifyOnRestore ?? false,
      restoreConfig: configFromEnv === false ? undefined : new RestoreConfig(configFromEnv),
    });
    return { resource, detach: gated.restore };
  });
}

function isPool(value: pg.Pool | pg.PoolConfig | undefined): value is pg.Pool {
  // Duck-typed: a pool from another copy of pg (or pg.native) is just as good.
  return typeof (value as pg.Pool | undefined)?.connect === 'function' && typeof (value as pg.Pool).totalCount === 'number';
}
