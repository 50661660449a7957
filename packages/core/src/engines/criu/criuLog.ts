import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';

// CRIU logs this when it may not raise its own fd limit; the dump or restore goes on.
const HARMLESS = [/Can't setup RLIMIT_NOFILE for self/];

/** A CRIU log's text; empty when there is none. */
export function readCriuLog(pathOrFd: string | number): string {
  try {
    return readFileSync(pathOrFd, 'utf8');
  } catch {
    return '';
  }
}

/**
 * A CRIU log's text read within `maxBytes`: all of a small log, else its
 * beginning and its end around a line that says how much was left out. CRIU
 * can loop on a damaged image and write tens of MB a second.
 */
export function readCriuLogBounded(pathOrFd: string | number, maxBytes = 2 * 1024 * 1024): string {
  let fd: number;
  try {
    fd = typeof pathOrFd === 'number' ? pathOrFd : openSync(pathOrFd, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const read = (position: number, length: number): string => {
      const buffer = Buffer.alloc(length);
      let got = 0;
      for (let n; got < length && (n = readSync(fd, buffer, got, length - got, position + got)) > 0; ) got += n;
      return buffer.subarray(0, got).toString('utf8');
    };
    if (size <= maxBytes) return read(0, size);
    const half = Math.floor(maxBytes / 2);
    return `${read(0, half)}\n[node-crac: ${size - 2 * half} bytes of the log left out]\n${read(size - half, half)}`;
  } catch {
    return '';
  } finally {
    if (typeof pathOrFd !== 'number') closeSync(fd);
  }
}

/** The "Error (...)" lines of a CRIU log's text, without the harmless ones. */
export function criuErrorLines(log: string, max = 20): string[] {
  return log
    .split('\n')
    .filter((line) => /\bError \(/.test(line) && !HARMLESS.some((re) => re.test(line)))
    .slice(-max)
    .map((line) => line.replace(/^\([\d.\s]+\)\s*/, '').trim());
}

/** A hint for errors whose cause node-crac knows. */
export function criuErrorHint(lines: string[]): string | undefined {
  const text = lines.join('\n');
  if (/io_uring/.test(text)) {
    return 'the process holds an io_uring ring (Node >= 22.17/24): start it with "crac run" or "crac checkpoint", which make io_uring_setup fail so libuv uses epoll';
  }
  if (/External socket is used/.test(text)) {
    return 'a unix socket connects to a process outside the image (e.g. stdio from a Node parent with stdio "pipe", or an IPC channel): give the app real pipes, files or inherited stdio (crac run/checkpoint do)';
  }
  if (/session leader of .* is outside of its pid namespace/.test(text)) {
    return 'the session of this process began outside its PID namespace (a container or sandbox): start it with "crac run" or "crac checkpoint", which make it lead its own session, or with setsid';
  }
  if (/Can't fork for \d+: File exists/.test(text)) {
    return 'a process with the same PID is running: restore in a new PID namespace (crac restore does)';
  }
  return undefined;
}
