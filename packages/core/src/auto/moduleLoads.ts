import Module from 'node:module';

type OnLoad = (exports: unknown) => void;

interface Watchers {
  list: { file: RegExp; onLoad: OnLoad }[];
}

const key = Symbol.for('node-crac.moduleLoads');

/**
 * Calls `onLoad` with the exports of every CommonJS module whose file name
 * matches `file`, once it has run. Module.prototype.load is where both
 * `require()` and an ES module's `import` of a CommonJS package end up (Node
 * 20 to 24), so one hook sees an app's dependencies however it loads them.
 * Installed once per process, for every copy of node-crac in it.
 */
export function onModuleLoad(file: RegExp, onLoad: OnLoad): void {
  const store = globalThis as unknown as Record<symbol, Watchers | undefined>;
  let watchers = store[key];
  if (!watchers) {
    const registry: Watchers = { list: [] };
    watchers = store[key] = registry;
    const prototype = Module.prototype as unknown as { load(this: { exports: unknown }, filename: string): void };
    const load = prototype.load;
    prototype.load = function loadWatched(filename) {
      load.call(this, filename);
      for (const watcher of registry.list) if (watcher.file.test(filename)) watcher.onLoad(this.exports);
    };
  }
  watchers.list.push({ file, onLoad });
}
