import pg from 'pg';
import { getGlobalContext, RequestGate, type Context, type Registration } from 'node-crac';
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
export type CracPool<P extends pg.Pool = pg.Pool> = P & { readonly crac: Registration };

export const DEFAULT_CHECKOUT_TIMEOUT_MS = 5000;

const registered = new WeakSet<pg.Pool>();

/**
 * Makes a pg Pool take part in checkpoints: creates one from `config`, or
 * takes an existing pool (then the same object is returned).
 */
export function createCracPool<P extends pg.Pool>(pool: P, options?: CracPoolOptions): CracPool<P>;
export function createCracPool(config?: pg.PoolConfig, options?: CracPoolOptions): CracPool;
export function createCracPool(poolOrConfig?: pg.Pool | pg.PoolConfig, options: CracPoolOptions = {}): CracPool {
  const checkoutTimeoutMs = options.checkoutTimeoutMs ?? DEFAULT_CHECKOUT_TIMEOUT_MS;
  if (!(checkoutTimeoutMs > 0)) throw new RangeError(`pg-crac: checkoutTimeoutMs must be a positive number of milliseconds, got ${checkoutTimeoutMs}`);
  const pool = isPool(poolOrConfig) ? poolOrConfig : new pg.Pool(poolOrConfig);
  if (registered.has(pool)) throw new TypeError('pg-crac: this pool is already registered; call createCracPool() once per pool');
  if (pool.ending) throw new TypeError('pg-crac: this pool was ended (pool.end() is final); create a new pool');

  const gate = new RequestGate();
  const gated = gateConnect(pool, gate);
  const configFromEnv = options.configFromEnv ?? databaseUrlFromEnv;
  const resource = new CracPoolResource(pool, gate, gated, {
    name: options.name ?? 'pg-crac pool',
    checkoutTimeoutMs,
    verifyOnRestore: options.verifyOnRestore ?? false,
    restoreConfig: configFromEnv === false ? undefined : new RestoreConfig(configFromEnv),
  });
  const registration = (options.context ?? getGlobalContext()).register(resource);
  registered.add(pool);

  const unregister = (): void => {
    if (!registered.delete(pool)) return;
    registration.unregister();
    gated.restore();
    delete (pool as { crac?: unknown }).crac;
  };
  const crac: Registration = { unregister, [Symbol.dispose]: unregister };
  Object.defineProperty(pool, 'crac', { value: crac, configurable: true });
  return pool as CracPool;
}

function isPool(value: pg.Pool | pg.PoolConfig | undefined): value is pg.Pool {
  // Duck-typed: a pool from another copy of pg (or pg.native) is just as good.
  return typeof (value as pg.Pool | undefined)?.connect === 'function' && typeof (value as pg.Pool).totalCount === 'number';
}
