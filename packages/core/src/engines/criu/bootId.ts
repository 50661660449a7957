import { readFileSync } from 'node:fs';

/** This boot's id (/proc/sys/kernel/random/boot_id): what the kernel offers may change at the next boot. */
export function currentBootId(): string {
  return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
}
