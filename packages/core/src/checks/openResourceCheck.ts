import { closeSync } from 'node:fs';
import { partitionExpected, type ExpectedDescriptor } from './expectedDescriptors.js';
import { describeDescriptor, isAppend, scanDescriptors, type Descriptor, type PathDescriptor } from './fdTable.js';
import {
  describeRule,
  findRule,
  loadPolicy,
  reopenRefusal,
  resolvePolicyFile,
  type PolicyRule,
} from './policy.js';
import { closeForReopen, reopenClosedFile, reopenObstacle, type ClosedFile } from './reopenFiles.js';

/**
 * The open-resource check that runs before every dump (with every engine):
 * each descriptor this process holds is expected (stdio, libuv/V8
 * internals, the caller's own), passed or acted on by the policy, passed by
 * default (files opened for append, which CRIU restores without a size
 * check), or it fails the checkpoint. Nothing is closed unless the whole
 * check passes, so a refused checkpoint leaves the process as it was.
 */

export interface CheckOpenResourcesOptions {
  /** Policy file (JSON, see docs/policy.md); defaults to the CRAC_POLICY environment variable. */
  policyFile?: string;
  /** Descriptors the caller holds on purpose across the dump, e.g. the checkpoint bridge's status pipe. */
  allowFds?: number[];
}

export interface PolicyOutcome {
  descriptor: Descriptor;
  /** `fd 21: tcp 127.0.0.1:3000 LISTEN` */
  line: string;
  /** The deciding rule; undefined when the default passed it (a file opened for append). */
  rule: PolicyRule | undefined;
}

export interface OpenResourceReport {
  expected: ExpectedDescriptor[];
  /** Passed by an "ignore" rule, or by default (files opened for append). */
  ignored: PolicyOutcome[];
  /** Closed before the dump by a "close" rule. */
  closed: PolicyOutcome[];
  /** Closed before the dump by a "reopen" rule; reopen() opens them again. */
  reopening: PolicyOutcome[];
  /** One line per descriptor whose rule has "warn": true. */
  warnings: string[];
  /** After restore: opens the "reopen" files again at their numbers, flags and positions. Throws ReopenError. */
  reopen(): Promise<void>;
}

export class OpenResourcesError extends Error {
  constructor(
    message: string,
    /** The descriptors that refused the checkpoint. */
    readonly descriptors: Descriptor[],
    /** Whether one of them is an io_uring ring (the fix is then `crac run`, not the app's code). */
    readonly ioUring: boolean,
  ) {
    super(message);
    this.name = 'OpenResourcesError';
  }
}

export class ReopenError extends Error {
  constructor(readonly failures: { file: ClosedFile; error: Error }[]) {
    super(
      [
        `Could not reopen ${failures.length} file(s) after restore:`,
        ...failures.map(({ file, error }) => `fd ${file.fd}: file ${file.path}: ${error.message}`),
      ].join('\n'),
    );
    this.name = 'ReopenError';
  }
}

interface Refusal {
  descriptor: Descriptor;
  line: string;
}

export async function checkOpenResources(options: CheckOpenResourcesOptions = {}): Promise<OpenResourceReport> {
  const policyFile = resolvePolicyFile(options.policyFile);
  const policy = policyFile === undefined ? undefined : loadPolicy(policyFile);
  const { expected, unexpected } = partitionExpected(scanDescriptors(), options.allowFds);

  const refused: Refusal[] = [];
  const ignored: PolicyOutcome[] = [];
  const toClose: PolicyOutcome[] = [];
  const toReopen: (PolicyOutcome & { descriptor: PathDescriptor })[] = [];
  for (const descriptor of unexpected) {
    const line = describeDescriptor(descriptor);
    // CRIU cannot dump io_uring, so no rule applies to it (policy.ts rejects such rules).
    if (descriptor.kind === 'io_uring') {
      refused.push({ descriptor, line });
      continue;
    }
    const rule = findRule(policy, descriptor);
    const action = rule?.action ?? (descriptor.kind === 'file' && isAppend(descriptor.flags) ? 'ignore' : 'error');
    const outcome = { descriptor, line, rule };
    if (action === 'ignore') ignored.push(outcome);
    else if (action === 'close') toClose.push(outcome);
    else if (action === 'error') refused.push({ descriptor, line: rule ? `${line} (${describeRule(rule)})` : line });
    else if (descriptor.kind !== 'file') {
      refused.push({ descriptor, line: `${line} (${describeRule(rule!)}: ${reopenRefusal(descriptor.kind)})` });
    } else {
      const obstacle = reopenObstacle(descriptor);
      if (obstacle) refused.push({ descriptor, line: `${line} (${describeRule(rule!)}: cannot reopen: ${obstacle})` });
      else toReopen.push({ descriptor, line, rule });
    }
  }
  if (refused.length > 0) throw refusalError(refused);

  for (const { descriptor } of toClose) closeSync(descriptor.fd);
  const closedFiles = toReopen.map(({ descriptor }) => closeForReopen(descriptor));

  const warnings = [
    ...ignored.filter((o) => o.rule?.warn).map((o) => `${o.line}: ignored by ${describeRule(o.rule!)}`),
    ...toClose.filter((o) => o.rule?.warn).map((o) => `${o.line}: closed by ${describeRule(o.rule!)}`),
    ...toReopen
      .filter((o) => o.rule?.warn)
      .map((o) => `${o.line}: closed, to be reopened after restore, by ${describeRule(o.rule!)}`),
  ];

  let reopened = false;
  return {
    expected,
    ignored,
    closed: toClose,
    reopening: toReopen,
    warnings,
    async reopen() {
      if (reopened) return;
      reopened = true;
      const failures: { file: ClosedFile; error: Error }[] = [];
      for (const file of closedFiles) {
        try {
          reopenClosedFile(file);
        } catch (error) {
          failures.push({ file, error: error as Error });
        }
      }
      if (failures.length > 0) throw new ReopenError(failures);
    },
  };
}

function refusalError(refused: Refusal[]): OpenResourcesError {
  const rings = refused.filter((r) => r.descriptor.kind === 'io_uring');
  const others = refused.length - rings.length;
  const headline =
    others === 0
      ? `Checkpoint refused: this process holds ${rings.length} io_uring ring(s), which CRIU cannot dump:`
      : `Checkpoint refused: ${refused.length} open descriptor(s) cannot be checkpointed:`;
  const lines = [headline, ...refused.map((r) => r.line)];
  if (others > 0) {
    lines.push(
      `Active resources (process.getActiveResourcesInfo()): ${activeResourcesSummary()}`,
      "To fix: close each one in a Resource's beforeCheckpoint and open it again in afterRestore, " +
        'use an adapter (node-crac/http, fastify-crac, express-crac, koa-crac, pg-crac, redis-crac), ' +
        'or add a rule to the policy file (CRAC_POLICY; see docs/policy.md).',
    );
  }
  if (rings.length > 0) {
    lines.push(
      `io_uring: Node.js ${process.version} opens an io_uring ring in every event loop (Node >= 22.17 and 24), ` +
        'and CRIU cannot dump io_uring. Start the app with `crac run -- node app.js`, which runs node with ' +
        'io_uring disabled (libuv then uses epoll), or run it on Node 20.',
    );
  }
  return new OpenResourcesError(
    lines.join('\n'),
    refused.map((r) => r.descriptor),
    rings.length > 0,
  );
}

/** `TCPServerWrap, TCPSocketWrap x2, Timeout` */
function activeResourcesSummary(): string {
  const counts = new Map<string, number>();
  for (const name of process.getActiveResourcesInfo()) counts.set(name, (counts.get(name) ?? 0) + 1);
  if (counts.size === 0) return '(none)';
  return [...counts].map(([name, count]) => (count > 1 ? `${name} x${count}` : name)).join(', ');
}
