import { readFileSync } from 'node:fs';

/**
 * The fields of /proc/PID/stat from the third (the state) on, or undefined when
 * there is no such process: field N of proc(5) is at index N - 3. The command
 * name before them, in parentheses, may hold spaces and ')': what follows its last ')'.
 */
export function procStatFields(pid: number): string[] | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}
