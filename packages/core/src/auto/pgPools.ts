import { loadAdapterPackage } from './adapterPackage.js';
import { onModuleLoad } from './moduleLoads.js';

interface PoolLike {
  connect(...args: unknown[]): unknown;
  ending?: boolean;
}
type PgCrac = { createCracPool(pool: PoolLike): unknown };

const patched = Symbol.for('node-crac.autoPg');

/**
 * `--auto pg`: every pg Pool the app makes is registered with pg-crac on its
 * first checkout (pg-pool's query() checks out through connect() too), with
 * pg-crac's guarantees; a pool the app registered itself is left alone.
 */
export function installAutoPg(): void {
  onModuleLoad(/[\\/]node_modules[\\/]pg[\\/]lib[\\/]index\.js$/, (exports) => {
    const Pool = (exports as { Pool?: { prototype: PoolLike & { [patched]?: true } } }).Pool;
    if (!Pool || Pool.prototype[patched]) return;
    const { createCracPool } = loadAdapterPackage<PgCrac>('pg-crac', 'pg');
    const connect = Pool.prototype.connect;
    Pool.prototype[patched] = true;
    Pool.prototype.connect = function connectRegistered(this: PoolLike, ...args: unknown[]) {
      // Registered already (by the app, whose pg-crac gate calls this): pg's own connect.
      if ('crac' in this || this.ending) return connect.apply(this, args);
      // pg-crac gates the pool's own method, which must be pg's, not this one.
      this.connect = connect;
      try {
        createCracPool(this);
      } catch (error) {
        process.emitWarning(`node-crac --auto pg: this pool is not registered: ${(error as Error).message}`);
      }
      return this.connect(...args);
    };
  });
}
