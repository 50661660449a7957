import { type Context, getGlobalContext, type Registration } from '../cycle/context.js';
import type { Resource } from '../cycle/resource.js';

/** A client object taking part in checkpoints; `crac.unregister()` takes it out again. */
export type WithCrac<T extends object> = T & { readonly crac: Registration };

/** What an adapter made for one client. */
export interface Attachment {
  resource: Resource;
  /** Undoes what the adapter did to the client (patched methods), when it is unregistered. */
  detach(): void;
}

export interface AttachResourceOptions {
  /** The context to register with. Default: the global context. */
  context?: Context | undefined;
  /** The TypeError's message for a client that has a resource already, e.g. 'my-adapter: this client is already registered; call wrap() once per client'. */
  alreadyAttached: string;
}

// One set for all adapters: a client object has at most one node-crac resource.
const attached = new WeakSet<object>();

/**
 * Registers the resource `attach()` makes for `client` and puts the
 * registration on `client.crac`; returns the same client. `attach()` runs
 * only for a client without a resource, so a second call patches nothing
 * before it throws; an error thrown by `attach()` leaves the client as it was.
 */
export function attachResource<T extends object>(client: T, options: AttachResourceOptions, attach: () => Attachment): WithCrac<T> {
  if (attached.has(client)) throw new TypeError(options.alreadyAttached);
  const { resource, detach } = attach();
  const registration = (options.context ?? getGlobalContext()).register(resource);
  attached.add(client);

  const unregister = (): void => {
    if (!attached.delete(client)) return;
    registration.unregister();
    detach();
    delete (client as { crac?: unknown }).crac;
  };
  const crac: Registration = { unregister, [Symbol.dispose]: unregister };
  // Non-enumerable, so that logging or serializing the client does not show it.
  Object.defineProperty(client, 'crac', { value: crac, configurable: true });
  return client as WithCrac<T>;
}
