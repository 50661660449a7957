import type { Finding } from './doctor.js';

/** A checkpoint cannot work here, found before the app was started (or signalled): the doctor's findings that fail. */
export class PreflightError extends Error {
  override name = 'PreflightError';
  constructor(
    readonly problems: Finding[],
    notDone: string,
  ) {
    super(
      [
        `checkpoints cannot work on this machine, so ${notDone}:`,
        ...problems.map((p) => `  - ${p.what}${p.fix ? `\n    fix: ${p.fix}` : ''}`),
        'Run "crac doctor" for every check.',
      ].join('\n'),
    );
  }
}
