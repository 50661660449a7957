import { statSync } from 'node:fs';
import { fileIdentity } from '../../trust/digestCache.js';
import { readRuntimeCache, writeRuntimeCache } from '../../trust/runtimeCache.js';

/**
 * What a CRIU binary answered (`criu --version`, and the boot in which it
 * passed `criu check`), kept per binary identity so that a restore runs
 * neither while the binary stays the same: each costs a CRIU start.
 */
export interface KnownCriu {
  version: string;
  /** The boot id in which `criu check` passed, if it was run. */
  checkedBoot?: string;
}

const CACHE = 'criu-probes.json';

function keyOf(path: string): string | undefined {
  try {
    return `${path}\0${fileIdentity(statSync(path))}`;
  } catch {
    return undefined;
  }
}

/** What `path` answered before, when it is still the same file. */
export function knownCriu(path: string): KnownCriu | undefined {
  const key = keyOf(path);
  const entry = key === undefined ? undefined : readRuntimeCache(CACHE)[key];
  if (entry === null || typeof entry !== 'object' || typeof (entry as KnownCriu).version !== 'string') return undefined;
  const { version, checkedBoot } = entry as KnownCriu;
  return { version, ...(typeof checkedBoot === 'string' ? { checkedBoot } : {}) };
}

/** Records what `path` answered; nothing is written when it was known already. */
export function rememberCriu(path: string, known: KnownCriu): void {
  const key = keyOf(path);
  if (key === undefined) return;
  const cache = readRuntimeCache(CACHE);
  const before = cache[key] as KnownCriu | undefined;
  if (before?.version === known.version && before.checkedBoot === known.checkedBoot) return;
  writeRuntimeCache(CACHE, { ...cache, [key]: known });
}
