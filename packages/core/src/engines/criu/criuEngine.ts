import { closeSync, existsSync, fstatSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discardUnsealed, freeBytes, prepareImageDir, writeImageMeta } from '../../image/imageDir.js';
import { describeCpu, describeNode, describeStdio, type ImageMeta } from '../../image/imageMeta.js';
import { writeSealScript } from '../../image/sealScript.js';
import { loadBridge } from '../../native/bridge.js';
import { setKeepFailed } from '../../resumed/restoreFailure.js';
import type { CheckpointRequest, Engine, EngineOutcome, RestorePayload } from '../engine.js';
import { dumpArgs } from './criuArgs.js';
import { criuErrorHint, criuErrorLines, readCriuLog } from './criuLog.js';
import { locateCriu } from './locate.js';
import { missingCapabilities, PRIVILEGE_FIX, readPrivileges, seccompProblem } from './privileges.js';

export interface CriuEngineOptions {
  /** CRIU binary; default: found by locateCriu() (CRAC_CRIU_PATH, PATH, the workspace cache). */
  criuPath?: string;
}

/** `criu dump` failed; the process was not touched and goes on. */
export class CriuDumpError extends Error {
  override name = 'CriuDumpError';
  constructor(
    readonly status: string,
    /** The "Error" lines of dump.log. */
    readonly criuErrors: string[],
    readonly logPath: string,
    /** What node-crac found out about the cause when CRIU's log does not say it. */
    cause?: string,
  ) {
    const hint = criuErrorHint(criuErrors);
    const log = existsSync(logPath) ? `log: ${logPath}` : `CRIU wrote no log (${logPath} does not exist)`;
    super(
      [
        `CRIU could not dump this process (${status}); ${log}`,
        ...(cause ? [`Cause: ${cause}`] : []),
        ...criuErrors.map((l) => `  ${l}`),
        ...(hint ? [`Hint: ${hint}`] : []),
      ].join('\n'),
    );
  }
}

/**
 * The real engine (docs/checkpoint-mechanism.md): this process dumps itself with CRIU.
 * It ends on success, unless leaveRunning; a restored copy resumes here with the
 * restorer's payload.
 */
export function createCriuEngine(options: CriuEngineOptions = {}): Engine {
  return {
    name: 'criu',
    needsImageDir: true,
    async checkpoint(request: CheckpointRequest): Promise<EngineOutcome> {
      const imageDir = resolve(request.imageDir!);
      const startedAt = Date.now();
      const bridge = loadBridge();
      const criu = options.criuPath ? { path: options.criuPath, version: 'unknown' } : locateCriu();
      prepareImageDir(imageDir);

      const rss = process.memoryUsage.rss();
      const heap = request.heap ?? { shrunk: false, rssBeforeBytes: rss, rssAfterBytes: rss };
      const [readFd, writeFd] = bridge.pipe();
      const inode = fstatSync(readFd).ino;
      const meta: ImageMeta = {
        format: 'node-crac-image',
        formatVersion: 2,
        complete: false,
        createdAt: new Date(startedAt).toISOString(),
        node: describeNode(),
        criu: { path: criu.path, version: criu.version },
        cpu: describeCpu(),
        process: { pid: process.pid, argv: process.argv, execArgv: process.execArgv, cwd: process.cwd() },
        capabilities: { effective: readPrivileges().effective.toString(16) },
        statusPipe: { fd: readFd, inode },
        stdio: describeStdio(),
        heap,
        resources: request.resources.map((timing) => ({ name: timing.resource, durationMs: Math.round(timing.durationMs * 10) / 10 })),
      };
      writeImageMeta(imageDir, meta);

      let answer: Buffer;
      let restored: boolean;
      let sealer: ReturnType<typeof writeSealScript> | undefined;
      try {
        sealer = writeSealScript(imageDir, startedAt);
        answer = bridge.checkpointSelf([...dumpArgs(criu.path, imageDir, request.leaveRunning), '--action-script', sealer.path], readFd, writeFd);
        // The read end is the dumped pipe in the original, the restorer's payload pipe in a copy.
        restored = fstatSync(readFd).ino !== inode;
      } finally {
        closeSync(readFd);
        sealer?.remove();
      }
      const text = answer.toString('utf8');
      if (restored) return { kind: 'restored', payload: parsePayload(text) };
      if (text === 'ok') return { kind: 'continued', imageDir };

      const logPath = join(imageDir, 'dump.log');
      discardUnsealed(imageDir);
      const log = readCriuLog(logPath);
      throw new CriuDumpError(text || 'no answer from the dump helper', criuErrorLines(log), logPath, dumpFailureCause(imageDir, log));
    },
  };
}

/** The cause of a failed dump that CRIU's log does not give: missing privileges, or a full filesystem. */
function dumpFailureCause(imageDir: string, log: string): string | undefined {
  const uid = process.geteuid?.();
  if (uid !== undefined && uid !== 0) {
    return `this process runs as uid ${uid}, not root: CRIU needs root to dump a process; run the app (crac run / crac checkpoint) as root`;
  }
  const privileges = readPrivileges();
  const lacking = [...missingCapabilities('checkpoint', privileges).map((c) => `${c.name} is not effective`), seccompProblem(privileges)].filter(Boolean);
  if (lacking.length > 0) return `${lacking.join('; ')}; fix: ${PRIVILEGE_FIX}`;
  const free = freeBytes(imageDir);
  if (free !== undefined && free < 4 * 1024 * 1024) {
    return `the filesystem of ${imageDir} is full (${free} bytes free): free space there or choose another image directory; no partial image was kept`;
  }
  if (log === '') return `CRIU exited before writing its log to ${imageDir}`;
  return undefined;
}

function parsePayload(text: string): RestorePayload {
  let raw: Partial<RestorePayload>;
  try {
    raw = JSON.parse(text) as Partial<RestorePayload>;
  } catch {
    raw = {};
  }
  setKeepFailed((raw as { keepFailed?: unknown }).keepFailed === true);
  return {
    env: raw.env && typeof raw.env === 'object' ? raw.env : {},
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    restoreWallTime: typeof raw.restoreWallTime === 'number' ? raw.restoreWallTime : Date.now(),
  };
}
