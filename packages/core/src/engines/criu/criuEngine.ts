import { closeSync, fstatSync, mkdirSync, rmSync, chmodSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { dumpArgs } from './criuArgs.js';
import { criuErrorHint, criuErrorLines, readCriuLog } from './criuLog.js';
import { shrinkHeap, heapShrinkEnabled } from '../../heap/heapShrink.js';
import { describeCpu, describeNode, describeStdio, IMAGE_META_FILE, type ImageMeta, writeImageMeta } from '../../image/imageMeta.js';
import { SEAL_SCRIPT, writeSealScript } from '../../image/sealScript.js';
import { locateCriu } from './locate.js';
import { cracEvents } from '../../cycle/events.js';
import { loadBridge } from '../../native/bridge.js';
import { closeReadyChannel } from '../../launch/ready.js';
import type { Engine, EngineOutcome, CheckpointRequest, RestorePayload } from '../engine.js';

export interface CriuEngineOptions {
  /** CRIU binary; default: found by locateCriu() (CRAC_CRIU_PATH, PATH, the workspace cache). */
  criuPath?: string;
  /** Full GC + malloc_trim before the dump; default on, CRAC_HEAP_SHRINK=0 turns it off. */
  heapShrink?: boolean;
}

/** `criu dump` failed; the process was not touched and goes on. */
export class CriuDumpError extends Error {
  override name = 'CriuDumpError';
  constructor(
    readonly status: string,
    /** The "Error" lines of dump.log. */
    readonly criuErrors: string[],
    readonly logPath: string,
  ) {
    const hint = criuErrorHint(criuErrors);
    super(
      [`CRIU could not dump this process (${status}); log: ${logPath}`, ...criuErrors.map((l) => `  ${l}`), ...(hint ? [`Hint: ${hint}`] : [])].join('\n'),
    );
  }
}

// The checkpoint event comes just before the engine runs; its timings go into crac.json.
let notified: ImageMeta['resources'] = [];
cracEvents.on('checkpoint', (event) => {
  notified = event.resources.map((timing) => ({ name: timing.resource, durationMs: Math.round(timing.durationMs * 10) / 10 }));
});


/**
 * The real engine (DESIGN.md section 3): this process dumps itself with CRIU.
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
      closeReadyChannel();

      const heap = shrinkHeap(bridge, heapShrinkEnabled(options.heapShrink));
      const [readFd, writeFd] = bridge.pipe();
      const inode = fstatSync(readFd).ino;
      const meta: ImageMeta = {
        format: 'node-crac-image',
        formatVersion: 1,
        complete: false,
        createdAt: new Date(startedAt).toISOString(),
        node: describeNode(),
        criu: { path: criu.path, version: criu.version },
        cpu: describeCpu(),
        process: { pid: process.pid, argv: process.argv, execArgv: process.execArgv, cwd: process.cwd() },
        statusPipe: { fd: readFd, inode },
        stdio: describeStdio(),
        heap,
        resources: notified,
      };
      writeImageMeta(imageDir, meta);

      let answer: Buffer;
      let restored: boolean;
      try {
        const sealer = writeSealScript(imageDir, startedAt);
        answer = bridge.checkpointSelf([...dumpArgs(criu.path, imageDir, request.leaveRunning), '--action-script', sealer], readFd, writeFd);
        // The read end is the dumped pipe in the original, the restorer's payload pipe in a copy.
        restored = fstatSync(readFd).ino !== inode;
      } finally {
        closeSync(readFd);
      }
      const text = answer.toString('utf8');
      if (restored) return { kind: 'restored', payload: parsePayload(text) };
      if (text === 'ok') return { kind: 'continued', imageDir };

      const logPath = join(imageDir, 'dump.log');
      rmSync(join(imageDir, IMAGE_META_FILE), { force: true });
      rmSync(join(imageDir, SEAL_SCRIPT), { force: true });
      throw new CriuDumpError(text || 'no answer from the dump helper', criuErrorLines(readCriuLog(logPath)), logPath);
    },
  };
}

function prepareImageDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  // A previous image's metadata must not describe this one until it is sealed.
  rmSync(join(dir, IMAGE_META_FILE), { force: true });
}

function parsePayload(text: string): RestorePayload {
  let raw: Partial<RestorePayload>;
  try {
    raw = JSON.parse(text) as Partial<RestorePayload>;
  } catch {
    raw = {};
  }
  return {
    env: raw.env && typeof raw.env === 'object' ? raw.env : {},
    args: Array.isArray(raw.args) ? raw.args.map(String) : [],
    restoreWallTime: typeof raw.restoreWallTime === 'number' ? raw.restoreWallTime : Date.now(),
  };
}
