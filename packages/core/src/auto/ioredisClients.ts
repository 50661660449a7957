import { loadAdapterPackage } from './adapterPackage.js';
import { onModuleLoad } from './moduleLoads.js';

type Method = (...args: unknown[]) => unknown;
interface ClientPrototype {
  connect: Method;
  sendCommand: Method;
  [patched]?: true;
}
type RedisCrac = { cracRedis(client: object): unknown };

const patched = Symbol.for('node-crac.autoIoredis');

/**
 * `--auto ioredis`: every ioredis client the app makes is registered with
 * redis-crac when it first connects or sends a command (the constructor
 * connects, unless lazyConnect), with redis-crac's guarantees; a client the
 * app registered itself is left alone. A Cluster, which redis-crac does not
 * support, is refused as it is created.
 */
export function installAutoIoredis(): void {
  onModuleLoad(/[\\/]node_modules[\\/]ioredis[\\/]built[\\/]index\.js$/, (exports) => {
    if (typeof exports !== 'function') return;
    const Redis = exports as unknown as { prototype: ClientPrototype; Cluster?: { prototype: { connect: Method } } };
    if (Redis.prototype[patched]) return;
    const { cracRedis } = loadAdapterPackage<RedisCrac>('redis-crac', 'ioredis');
    Redis.prototype[patched] = true;
    const originals = { connect: Redis.prototype.connect, sendCommand: Redis.prototype.sendCommand };
    for (const name of ['connect', 'sendCommand'] as const) {
      Redis.prototype[name] = function registered(this: ClientPrototype, ...args: unknown[]) {
        // Registered already (by the app, whose redis-crac gate calls this): ioredis's own method.
        if ('crac' in this) return originals[name].apply(this, args);
        // redis-crac patches the client's own methods, which must be ioredis's, not these.
        Object.assign(this, originals);
        try {
          cracRedis(this);
        } catch (error) {
          process.emitWarning(`node-crac --auto ioredis: this client is not registered: ${(error as Error).message}`);
        }
        return this[name](...args);
      };
    }
    if (Redis.Cluster) {
      Redis.Cluster.prototype.connect = () => {
        throw new Error('node-crac --auto ioredis: an ioredis Cluster cannot take part in checkpoints (redis-crac supports single-node clients only): leave ioredis out of --auto');
      };
    }
  });
}
