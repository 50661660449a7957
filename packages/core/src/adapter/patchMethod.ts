/** The keys of T whose values are functions. */
export type MethodKey<T> = { [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never }[keyof T];

/** Puts the method back as it was before the patch. */
export type Unpatch = () => void;

/**
 * Replaces `target[key]` on the object itself (its prototype, shared with
 * other instances, is left alone). `replace` gets the method it replaces,
 * bound to `target`, and returns the replacement. The returned function undoes
 * the patch: an own method comes back as it was, an inherited one shows again.
 */
export function patchMethod<T extends object, K extends MethodKey<T>>(target: T, key: K, replace: (original: T[K]) => T[K]): Unpatch {
  const own = Object.getOwnPropertyDescriptor(target, key);
  const original = (target[key] as (...args: unknown[]) => unknown).bind(target) as T[K];
  target[key] = replace(original);
  return () => {
    if (own) Object.defineProperty(target, key, own);
    else delete target[key];
  };
}
