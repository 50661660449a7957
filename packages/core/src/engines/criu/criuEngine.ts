import { closeSync, existsSync, fstatSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { discardUnsealed, freeBytes, prepareImageDir, writeImageMeta } from '../../image/imageDir.js';
import { describeCpu, describeNode, describeStdio, type ImageMeta } from '../../image/imageMeta.js';
import { describeApp, describeHost } from '../../image/compatibility.js';
import { writeSealScript } from '../../image/sealScript.js';
import { loadBridge } from '../../native/bridge.js';
import { endCopy, setKeepFailed } from '../../resumed/restoreFailure.js';
import type { CheckpointRequest, Engine, EngineOutcome, RestorePayload } from '../engine.js';
import { dumpArgs } from './criuArgs.js';
import { criuErrorHint, criuErrorLines, readCriuLog } from './criuLog.js';
import { checkDumpPrivilege } from './dumpPrivilege.js';
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
    const log = !existsSync(logPath) ? `CRIU wrote no log (${logPath} does not exist)` : statSync(logPath).size === 0 ? `CRIU's log ${logPath} is empty` : `log: ${logPath}`;
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
      checkDumpPrivilege(process.geteuid?.(), 'this process');
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
        host: describeHost(),
        app: describeApp(),
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
      if (restored) return { kind: 'restored', payload: parsePayload(text) ?? endCopy(NO_PAYLOAD) };
      if (text === 'ok') return { kind: 'continued', imageDir };

      const logPath = join(imageDir, 'dump.log');
      // Measured before the partial image is removed: afterwards the filesystem has room again.
      const freeAtFailure = freeBytes(imageDir);
      discardUnsealed(imageDir);
      const log = readCriuLog(logPath);
      const cause = dumpFailureCause(imageDir, log, freeAtFailure, heap.rssAfterBytes);
      throw new CriuDumpError(text || 'no answer from the dump helper', criuErrorLines(log), logPath, cause);
    },
  };
}

// Less than this left free when a dump failed: the image did not fit (CRIU writes it in page-sized pieces).
const FULL_BELOW_BYTES = 1024 * 1024;

/**
 * The cause of a failed dump that CRIU's log may not give: a full filesystem
 * (its log is then often cut short before its errors), missing privileges, or no log at all.
 */
function dumpFailureCause(imageDir: string, log: string, freeAtFailure: number | undefined, rssBytes: number): string | undefined {
  if (/No space left on device|Disk quota exceeded/.test(log) || (freeAtFailure !== undefined && freeAtFailure < FULL_BELOW_BYTES)) {
    const free = freeAtFailure === undefined ? '' : `${freeAtFailure} bytes free when CRIU stopped; `;
    return (
      `the filesystem of ${imageDir} filled up while the image was written (${free}the image of this process needs up to ` +
      `${(rssBytes / 1024 / 1024).toFixed(1)} MB, its resident memory): free space there or choose another image directory; no partial image was kept`
    );
  }
  const privileges = readPrivileges();
  const lacking = [...missingCapabilities('checkpoint', privileges).map((c) => `${c.name} is not effective`), seccompProblem(privileges)].filter(Boolean);
  if (lacking.length > 0) return `${lacking.join('; ')}; fix: ${PRIVILEGE_FIX}`;
  if (log === '') return `CRIU exited before writing its log to ${imageDir}`;
  return undefined;
}

// What a copy was restored with when its status pipe was not the one crac restore fed: an empty pipe.
const NO_PAYLOAD =
  'this copy was restored without a restore payload (its status pipe held none): it was not restored by "crac restore", ' +
  'or crac.json names a status pipe that is not in these CRIU files; it ends before any afterRestore hook runs';

/** The restorer's payload; undefined when the text is not one (nothing, or not a JSON object). */
function parsePayload(text: string): RestorePayload | undefined {
  let raw: Partial<RestorePayload>;
  try {
    raw = JSON.parse(text) as Partial<RestorePayload>;
  } catch {
    return undefined;
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  setKeepFailed((raw as { keepFailed?: unknown }).keepFailed === true);
  return {
    env: raw.env && typeof raw.env === 'object' ? raw.env : {},
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    restoreWallTime: typeof raw.restoreWallTime === 'number' ? raw.restoreWallTime : Date.now(),
  };
}
