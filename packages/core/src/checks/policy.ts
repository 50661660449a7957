import { readFileSync } from 'node:fs';
import type { Descriptor, DescriptorKind } from './fdTable.js';
import { JsonSyntaxError, parseLocatedJson, type JsonNode, type Location } from './locatedJson.js';
import { globToRegExp } from './pathGlob.js';

/**
 * The open-resource policy: JSON rules that say what the check does with a
 * descriptor that is not expected. Format documented in docs/policy.md:
 *
 *   { "rules": [ { "match": { "type": "file", "path": "/var/log/**" }, "action": "ignore" },
 *                { "match": { "type": "tcp", "port": 9229 }, "action": "close", "warn": true } ] }
 *
 * The first rule that matches decides. Validation is strict (unknown keys are
 * errors) so that a typo cannot silently turn a rule off.
 */

export const POLICY_ACTIONS = ['error', 'ignore', 'close', 'reopen'] as const;
export type PolicyAction = (typeof POLICY_ACTIONS)[number];

export const POLICY_FAMILIES = ['ipv4', 'ipv6', 'unix'] as const;
export type PolicyFamily = (typeof POLICY_FAMILIES)[number];

/** Kinds a rule may name; the rest are always expected (libuv/V8) or never restorable (io_uring). */
export const POLICY_TYPES = [
  'tcp',
  'udp',
  'unix',
  'file',
  'directory',
  'pipe',
  'fifo',
  'inotify',
  'tty',
  'device',
  'other',
] as const satisfies readonly DescriptorKind[];
export type PolicyType = (typeof POLICY_TYPES)[number];

export interface PolicyMatch {
  type?: PolicyType;
  /** Glob against the descriptor's absolute path (files, directories, FIFOs, devices, unix sockets). */
  path?: string;
  /** Local or remote port of a tcp/udp socket. */
  port?: number;
  family?: PolicyFamily;
}

export interface PolicyRule {
  match: PolicyMatch;
  action: PolicyAction;
  warn: boolean;
  /** 1-based index in `rules`, and where the rule starts in the file: for messages. */
  number: number;
  line: number;
  file: string;
}

export interface Policy {
  file: string;
  rules: PolicyRule[];
}

export class PolicyError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
    readonly location?: Location,
  ) {
    super(
      location
        ? `Invalid policy file ${file}, line ${location.line}, column ${location.column}: ${detail}`
        : `Invalid policy file ${file}: ${detail}`,
    );
    this.name = 'PolicyError';
  }
}

/** The policy file given by option, else by CRAC_POLICY; undefined when there is none. */
export function resolvePolicyFile(option?: string): string | undefined {
  return option || process.env.CRAC_POLICY || undefined;
}

export function loadPolicy(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PolicyError(file, `cannot read it: ${(error as Error).message}`);
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: string, file: string): Policy {
  let root: JsonNode;
  try {
    root = parseLocatedJson(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) throw new PolicyError(file, `not valid JSON: ${error.detail}`, error.location);
    throw error;
  }
  const fail = (at: Location, detail: string): never => {
    throw new PolicyError(file, detail, at);
  };

  if (root.type !== 'object') return fail(root, 'the policy must be a JSON object like { "rules": [ ... ] }');
  let rulesNode: JsonNode | undefined;
  for (const member of root.members) {
    if (member.key !== 'rules') fail(member.keyLocation, `unknown key ${JSON.stringify(member.key)} (expected "rules")`);
    rulesNode = member.value;
  }
  if (!rulesNode) return fail(root, 'missing "rules"');
  if (rulesNode.type !== 'array') return fail(rulesNode, '"rules" must be an array');

  const rules = rulesNode.items.map((node, index) => parseRule(node, `rules[${index}]`, index + 1, file, fail));
  return { file, rules };
}

type Fail = (at: Location, detail: string) => never;

function parseRule(node: JsonNode, where: string, number: number, file: string, fail: Fail): PolicyRule {
  if (node.type !== 'object') return fail(node, `${where} must be an object with "match" and "action"`);
  let match: PolicyMatch | undefined;
  let action: PolicyAction | undefined;
  let actionLocation: Location = node;
  let warn: boolean | undefined;
  let warnLocation: Location = node;
  for (const { key, keyLocation, value } of node.members) {
    if (key === 'match') {
      match = parseMatch(value, `${where}.match`, fail);
    } else if (key === 'action') {
      action = oneOf(value, POLICY_ACTIONS, `${where}.action`, 'action', fail);
      actionLocation = value;
    } else if (key === 'warn') {
      if (value.type !== 'boolean') fail(value, `${where}.warn must be true or false`);
      warn = (value as { value: boolean }).value;
      warnLocation = value;
    } else {
      fail(keyLocation, `${where}: unknown key ${JSON.stringify(key)} (expected "match", "action" or "warn")`);
    }
  }
  if (!match) return fail(node, `${where}: missing "match" (use {} to match every descriptor)`);
  if (!action) return fail(node, `${where}: missing "action" (one of ${POLICY_ACTIONS.join(', ')})`);
  if (warn && action === 'error') fail(warnLocation, `${where}: "warn" has no effect with action "error"`);
  if (action === 'reopen') checkReopenable(match, `${where}.action`, actionLocation, fail);
  return { match, action, warn: warn ?? false, number, line: node.line, file };
}

function parseMatch(node: JsonNode, where: string, fail: Fail): PolicyMatch {
  if (node.type !== 'object') return fail(node, `${where} must be an object, e.g. { "type": "tcp", "port": 9229 }`);
  const match: PolicyMatch = {};
  const locations: Partial<Record<keyof PolicyMatch, Location>> = {};
  for (const { key, keyLocation, value } of node.members) {
    if (key === 'type') {
      if (value.type === 'string' && value.value === 'io_uring') {
        fail(value, `${where}.type: io_uring cannot be checkpointed whatever the policy says; start the app with \`crac run -- node app.js\`, which disables io_uring`);
      }
      if (value.type === 'string' && ['epoll', 'eventfd', 'signalfd', 'timerfd'].includes(value.value)) {
        fail(value, `${where}.type: ${value.value} descriptors belong to libuv/V8 and always pass; a rule cannot change that`);
      }
      match.type = oneOf(value, POLICY_TYPES, `${where}.type`, 'type', fail);
    } else if (key === 'path') {
      if (value.type !== 'string' || !(value.value.startsWith('/') || value.value.startsWith('**'))) {
        fail(value, `${where}.path must be a glob of absolute paths (starting with / or **), e.g. "/var/log/**"`);
      }
      match.path = (value as { value: string }).value;
    } else if (key === 'port') {
      if (value.type !== 'number' || !Number.isInteger(value.value) || value.value < 0 || value.value > 65535) {
        fail(value, `${where}.port must be an integer from 0 to 65535`);
      }
      match.port = (value as { value: number }).value;
    } else if (key === 'family') {
      match.family = oneOf(value, POLICY_FAMILIES, `${where}.family`, 'family', fail);
    } else {
      fail(keyLocation, `${where}: unknown key ${JSON.stringify(key)} (expected "type", "path", "port" or "family")`);
    }
    locations[key as keyof PolicyMatch] = value;
  }

  // Combinations that can never match are mistakes: say so instead of never matching.
  const inet = match.type === 'tcp' || match.type === 'udp';
  if (match.port !== undefined && ((match.type && !inet) || match.family === 'unix')) {
    fail(locations.port!, `${where}.port applies only to tcp and udp sockets`);
  }
  if (match.path !== undefined && (inet || match.family === 'ipv4' || match.family === 'ipv6')) {
    fail(locations.path!, `${where}.path does not apply to tcp or udp sockets (use "port")`);
  }
  if (match.family !== undefined && match.type && (match.family === 'unix' ? match.type !== 'unix' : !inet)) {
    fail(locations.family!, `${where}.family "${match.family}" does not apply to type "${match.type}"`);
  }
  return match;
}

function checkReopenable(match: PolicyMatch, where: string, at: Location, fail: Fail): void {
  const kind = match.type ?? (match.port !== undefined || match.family ? 'socket' : undefined);
  if (kind !== undefined && kind !== 'file') fail(at, `${where}: ${reopenRefusal(kind)}`);
}

/** Why a descriptor of this kind cannot be reopened; shared with the check's message. */
export function reopenRefusal(kind: string): string {
  return `"reopen" applies only to regular files; a ${kind} descriptor cannot be reopened after restore by node-crac: close it in a Resource's beforeCheckpoint and open it again in afterRestore (or use an adapter)`;
}

function oneOf<T extends string>(node: JsonNode, allowed: readonly T[], where: string, what: string, fail: Fail): T {
  if (node.type === 'string' && (allowed as readonly string[]).includes(node.value)) return node.value as T;
  const got = node.type === 'string' ? JSON.stringify(node.value) : `a ${node.type}`;
  return fail(node, `${where}: unknown ${what} ${got} (expected one of ${allowed.join(', ')})`);
}

/** The first rule that matches the descriptor. */
export function findRule(policy: Policy | undefined, descriptor: Descriptor): PolicyRule | undefined {
  return policy?.rules.find((rule) => ruleMatches(rule.match, descriptor));
}

function ruleMatches(match: PolicyMatch, d: Descriptor): boolean {
  if (match.type !== undefined && d.kind !== match.type) return false;
  if (match.path !== undefined) {
    const path = 'path' in d ? d.path : undefined;
    if (path === undefined || !globToRegExp(match.path).test(path)) return false;
  }
  if (match.port !== undefined) {
    if (d.kind !== 'tcp' && d.kind !== 'udp') return false;
    if (d.local.port !== match.port && d.remote?.port !== match.port) return false;
  }
  if (match.family !== undefined) {
    const family = d.kind === 'tcp' || d.kind === 'udp' ? d.family : d.kind === 'unix' ? 'unix' : undefined;
    if (family !== match.family) return false;
  }
  return true;
}

/** `policy rule 2 (/etc/app/crac-policy.json line 7)` */
export function describeRule(rule: PolicyRule): string {
  return `policy rule ${rule.number} (${rule.file} line ${rule.line})`;
}
