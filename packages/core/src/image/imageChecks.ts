import { existsSync } from 'node:fs';
import { capabilitiesLacking } from '../engines/criu/privileges.js';
import { describeCpu, ImageError, type ImageMeta } from './imageMeta.js';
import { mappedFileChange, mappedFileKind } from './mappedFiles.js';

// V8's JIT emits these instruction-set extensions when the CPU has them.
const ISA_FLAG = /^(sse|ssse|avx|fma|bmi|lzcnt|abm|popcnt|f16c|movbe|aes|pclmul|vpclmul|vaes|gfni|sha|adx|cx16|xsave|amx|rdrand|rdseed|erms|fsrm)/;

/** Throws an ImageError when this machine cannot run the image (other node binary, missing CPU features). */
export function checkImageRunsHere(meta: ImageMeta): void {
  const problems: string[] = [];
  const { execPath } = meta.node;
  if (!existsSync(execPath)) problems.push(`the Node binary it was made with (${execPath}, ${meta.node.version}) is not on this machine`);
  // The code the copy runs comes from these files, mapped again by CRIU: a file
  // whose identity changed must still have the content it had. Checked here,
  // before CRIU starts, so nothing runs.
  const nodeReported = problems.length > 0;
  for (const file of meta.node.mappedFiles) {
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
  const lacking = meta.capabilities ? capabilitiesLacking(meta.capabilities.effective) : [];
  if (lacking.length > 0) {
    problems.push(
      `the app held ${lacking.join(', ')} when it was checkpointed and this restore does not (CRIU restores the app's capabilities): ` +
        'restore with the capabilities the checkpoint had, or checkpoint with the ones the restore gets (deploy/README.md)',
    );
  }
  if (problems.length > 0) throw new ImageError(`The image cannot be restored on this machine:\n  - ${problems.join('\n  - ')}`);
}
