import { readFileSync } from 'node:fs';

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
