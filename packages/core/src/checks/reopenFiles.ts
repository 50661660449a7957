import { closeSync, openSync, readSync } from 'node:fs';
import { accessMode, isAppend, type PathDescriptor } from './fdTable.js';

/**
 * The policy action "reopen" for regular files: close the file before the
 * dump (so CRIU neither saves it nor checks its size at restore) and, after
 * restore, open it again at the same descriptor number, with the same flags
 * and at the same position, so the code that holds the number keeps working.
 */

export interface ClosedFile {
  fd: number;
  path: string;
  flags: number;
  position: number;
}

/** Why this file cannot be reopened faithfully, or undefined when it can. */
export function reopenObstacle(d: PathDescriptor): string | undefined {
  if (d.deleted) return 'it was deleted, so it cannot be opened again by path';
  // Node has no lseek: the position is restored by reading up to it, which a write-only descriptor cannot do.
  if (accessMode(d.flags) === 'write' && !isAppend(d.flags) && d.position > 0) {
    return "its write position cannot be restored on a write-only descriptor: open it for append ('a') or read-write ('r+')";
  }
  return undefined;
}

export function closeForReopen(d: PathDescriptor): ClosedFile {
  closeSync(d.fd);
  return { fd: d.fd, path: d.path, flags: d.flags, position: d.position };
}

export function reopenClosedFile(file: ClosedFile): void {
  openAtNumber(file);
  try {
    if (file.position > 0 && !isAppend(file.flags)) readForwardTo(file);
  } catch (error) {
    closeSync(file.fd);
    throw error;
  }
}

/**
 * open(2) returns the lowest free number: fill the free numbers below the
 * wanted one with placeholders, open the file, then drop the placeholders.
 */
function openAtNumber(file: ClosedFile): void {
  const placeholders: number[] = [];
  try {
    for (;;) {
      const placeholder = openSync('/dev/null', 'r');
      if (placeholder === file.fd) {
        closeSync(placeholder);
        break;
      }
      if (placeholder > file.fd) {
        closeSync(placeholder);
        throw new Error(`descriptor ${file.fd} is already in use`);
      }
      placeholders.push(placeholder);
    }
    const fd = openSync(file.path, file.flags);
    if (fd !== file.fd) {
      closeSync(fd);
      throw new Error(`descriptor ${file.fd} was taken by another thread while reopening`);
    }
  } finally {
    for (const placeholder of placeholders) closeSync(placeholder);
  }
}

function readForwardTo(file: ClosedFile): void {
  const buffer = Buffer.alloc(64 * 1024);
  let remaining = file.position;
  while (remaining > 0) {
    const read = readSync(file.fd, buffer, 0, Math.min(buffer.length, remaining), null);
    if (read === 0) throw new Error(`the file is now shorter than the saved position ${file.position}`);
    remaining -= read;
  }
}
