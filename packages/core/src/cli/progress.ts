import { Writable } from 'node:stream';

/**
 * What `crac checkpoint` shows while it waits: on a terminal, one line on
 * stderr that is redrawn in place (the step and how long it has taken); not on
 * a terminal, nothing but the lasting `crac: ...` lines, as before.
 */
export interface Progress {
  /** Shows the current step; `text` is asked again at every redraw (elapsed time, counts). */
  show(text: () => string): void;
  /** A line that stays, as say() prints it: the updating line is cleared first. */
  say(message: string): void;
  /** `to` for the app's relayed output: clears the updating line before each chunk and draws it again after. */
  output(to: NodeJS.WritableStream): NodeJS.WritableStream;
  /** Clears the updating line and stops redrawing. */
  end(): void;
}

/** The parts of a stream progress needs: a terminal's isTTY and width. */
export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(text: string): boolean;
}

const REDRAW_MS = 200;
const CLEAR_LINE = '\r\x1b[2K';

/** The progress for `stream`: an updating line when it is a terminal (and TERM is not dumb), lines only otherwise. */
export function progressOn(stream: ProgressStream, env: NodeJS.ProcessEnv = process.env): Progress {
  if (!stream.isTTY || env.TERM === 'dumb') return linesOnly(stream);
  let text: (() => string) | undefined;
  let drawn = false;
  // While the app's output has an unfinished line, drawing would mix with it.
  let midLine = false;
  let timer: NodeJS.Timeout | undefined;
  const clear = (): void => {
    if (drawn) stream.write(CLEAR_LINE);
    drawn = false;
  };
  const draw = (): void => {
    if (!text || midLine) return;
    const width = Math.max(20, (stream.columns || 80) - 1);
    const line = `crac: ${text()}`;
    stream.write(`${CLEAR_LINE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
    drawn = true;
  };
  return {
    show(next) {
      text = next;
      timer ??= setInterval(draw, REDRAW_MS).unref();
      draw();
    },
    say(message) {
      clear();
      stream.write(`crac: ${message}\n`);
      draw();
    },
    output(to) {
      return new Writable({
        write(chunk: Buffer, _encoding, done) {
          clear();
          to.write(chunk, (error) => done(error ?? undefined));
          midLine = chunk.length > 0 ? chunk[chunk.length - 1] !== 0x0a : midLine;
          draw();
        },
      });
    },
    end() {
      clearInterval(timer);
      timer = undefined;
      clear();
      text = undefined;
    },
  };
}

function linesOnly(stream: ProgressStream): Progress {
  return {
    show: () => undefined,
    say: (message) => void stream.write(`crac: ${message}\n`),
    output: (to) => to,
    end: () => undefined,
  };
}

/** `2.3 s` */
export function elapsed(sinceMs: number): string {
  return `${((Date.now() - sinceMs) / 1000).toFixed(1)} s`;
}
