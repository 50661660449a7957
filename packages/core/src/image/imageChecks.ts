import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describeCpu, ImageError, type ImageMeta } from './imageMeta.js';
import { mappedFileChange, mappedFileKind } from './mappedFiles.js';

// V8's JIT emits these instruction-set extensions when the CPU has them.
const ISA_FLAG = /^(sse|ssse|avx|fma|bmi|lzcnt|abm|popcnt|f16c|movbe|aes|pclmul|vpclmul|vaes|gfni|sha|adx|cx16|xsave|amx|rdrand|rdseed|erms|fsrm)/;

/** Throws an ImageError when one of CRIU's files is missing or not the size it had when the image was sealed. */
export function checkImageFiles(dir: string, meta: ImageMeta): void {
  const problems: string[] = [];
  for (const [name, size] of Object.entries(meta.files ?? {})) {
    let actual: number;
    try {
      actual = statSync(join(dir, name)).size;
    } catch {
      problems.push(`${name} is missing`);
      continue;
    }
    if (actual !== size) problems.push(`${name} has ${actual} bytes, ${size} when written`);
  }
  if (problems.length > 0) throw new ImageError(`The image in ${dir} is damaged:\n  - ${problems.join('\n  - ')}`);
}

/** Throws an ImageError when this machine cannot run the image (other node binary, missing CPU features). */
export function checkImageRunsHere(meta: ImageMeta): void {
  const problems: string[] = [];
  const { execPath } = meta.node;
  if (!existsSync(execPath)) {
    problems.push(`the Node binary it was made with (${execPath}, ${meta.node.version}) is not on this machine`);
  } else {
    const binary = statSync(execPath);
    if (binary.size !== meta.node.binarySize || binary.mtimeMs !== meta.node.binaryMtimeMs) {
      problems.push(`the Node binary ${execPath} changed since the checkpoint (which used ${meta.node.version}): checkpoint again with the installed Node`);
    }
  }
  // The code the copy runs comes from these files, mapped again by CRIU; a file
  // written with its size and mtime put back is caught by its ctime, a replaced
  // one by its inode. Checked here, before CRIU starts, so nothing runs.
  const nodeReported = problems.length > 0;
  for (const file of meta.node.mappedFiles ?? []) {
    if (nodeReported && file.path === execPath) continue;
    const change = mappedFileChange(file);
    if (change !== undefined) {
      problems.push(`${mappedFileKind(file.path, execPath)} ${file.path} changed since the checkpoint (${change}): checkpoint again with the installed binaries`);
    }
  }
  const here = describeCpu();
  if (here.arch !== meta.cpu.arch) problems.push(`the image is for ${meta.cpu.arch}, this machine is ${here.arch}`);
  const available = new Set(here.flags);
  const needed = meta.cpu.arch === 'x64' ? meta.cpu.flags.filter((f) => ISA_FLAG.test(f)) : meta.cpu.flags;
  const missing = needed.filter((f) => !available.has(f));
  if (missing.length > 0) {
    problems.push(`this CPU (${here.model}) lacks features the checkpointed code may use: ${missing.join(' ')} (checkpoint on the oldest CPU you restore on)`);
  }
  if (problems.length > 0) throw new ImageError(`The image cannot be restored on this machine:\n  - ${problems.join('\n  - ')}`);
}
