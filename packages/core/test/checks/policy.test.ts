import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setEnv } from '@node-crac/test-kit';
import t from 'tap';
import type { Descriptor } from '../../src/checks/fdTable.js';
import { findRule, loadPolicy, parsePolicy, PolicyError, resolvePolicyFile } from '../../src/checks/policy.js';

const FILE = '/etc/app/crac-policy.json';

function policyError(text: string): PolicyError {
  try {
    parsePolicy(text, FILE);
  } catch (error) {
    if (error instanceof PolicyError) return error;
    throw error;
  }
  throw new Error(`expected a PolicyError for: ${text}`);
}

const common = { target: '', flags: 0o2100000, position: 0 };
const tcpListen: Descriptor = {
  ...common,
  fd: 21,
  kind: 'tcp',
  inode: 1,
  family: 'ipv4',
  local: { address: '127.0.0.1', port: 9229 },
  remote: undefined,
  state: 'LISTEN',
};
const pgConnection: Descriptor = {
  ...common,
  fd: 24,
  kind: 'tcp',
  inode: 2,
  family: 'ipv6',
  local: { address: '::1', port: 41234 },
  remote: { address: '::1', port: 5432 },
  state: 'ESTABLISHED',
};
const logFile: Descriptor = { ...common, fd: 25, kind: 'file', path: '/var/log/app/today.log', deleted: false };
const unixSocket: Descriptor = {
  ...common,
  fd: 26,
  kind: 'unix',
  inode: 3,
  socketType: 'stream',
  state: 'LISTEN',
  path: '/run/app.sock',
};

t.test('a valid policy parses into rules that remember their line', async (t) => {
  const policy = parsePolicy(
    `{
  "rules": [
    { "match": { "type": "file", "path": "/var/log/**" }, "action": "ignore" },
    { "match": { "type": "tcp", "port": 9229 }, "action": "close", "warn": true },
    { "match": { "family": "ipv6" }, "action": "error" },
    { "match": {}, "action": "reopen" }
  ]
}`,
    FILE,
  );
  t.same(
    policy.rules.map(({ match, action, warn, number, line }) => ({ match, action, warn, number, line })),
    [
      { match: { type: 'file', path: '/var/log/**' }, action: 'ignore', warn: false, number: 1, line: 3 },
      { match: { type: 'tcp', port: 9229 }, action: 'close', warn: true, number: 2, line: 4 },
      { match: { family: 'ipv6' }, action: 'error', warn: false, number: 3, line: 5 },
      { match: {}, action: 'reopen', warn: false, number: 4, line: 6 },
    ],
  );

  t.equal(findRule(policy, logFile)?.number, 1, 'path glob');
  t.equal(findRule(policy, tcpListen)?.number, 2, 'type and local port');
  t.equal(findRule(policy, pgConnection)?.number, 3, 'family');
  t.equal(findRule(policy, unixSocket)?.number, 4, 'empty match matches everything');
  t.equal(findRule(undefined, logFile), undefined, 'no policy, no rule');
});

t.test('port matches the remote port too; path globs stay within their segments', async (t) => {
  const policy = parsePolicy(
    JSON.stringify({
      rules: [
        { match: { port: 5432 }, action: 'ignore' },
        { match: { path: '/var/log/*.log' }, action: 'ignore' },
        { match: { path: '/run/*.sock', family: 'unix' }, action: 'close' },
      ],
    }),
    FILE,
  );
  t.equal(findRule(policy, pgConnection)?.number, 1);
  t.equal(findRule(policy, tcpListen), undefined);
  t.equal(findRule(policy, logFile), undefined, '* does not cross a /');
  t.equal(findRule(policy, unixSocket)?.number, 3);
});

t.test('malformed policy files name the file, the line and what is wrong', async (t) => {
  const cases: [string, string, string][] = [
    ['bad JSON: missing comma', '{\n  "rules": [\n    { "match": {} "action": "ignore" }\n  ]\n}', 'line 3, column 19: not valid JSON: expected \',\' or \'}\' after the property value, found "\\""'],
    ['bad JSON: trailing comma', '{\n  "rules": [\n    { "match": {}, "action": "ignore" },\n  ]\n}', 'line 4, column 3: not valid JSON: expected a JSON value, found "]"'],
    ['bad JSON: empty file', '', 'line 1, column 1: not valid JSON: expected a JSON value, found end of file'],
    ['bad JSON: duplicate key', '{ "rules": [], "rules": [] }', 'line 1, column 16: not valid JSON: duplicate key "rules"'],
    ['unknown action', '{\n  "rules": [\n    { "match": {}, "action": "drop" }\n  ]\n}', 'line 3, column 30: rules[0].action: unknown action "drop" (expected one of error, ignore, close, reopen)'],
    ['unknown key in a rule', '{\n  "rules": [\n    { "match": {}, "action": "ignore", "mode": 1 }\n  ]\n}', 'line 3, column 40: rules[0]: unknown key "mode" (expected "match", "action" or "warn")'],
    ['unknown key in match', '{ "rules": [\n { "match": { "type": "tcp", "host": "x" }, "action": "ignore" }\n] }', 'line 2, column 30: rules[0].match: unknown key "host"'],
    ['unknown top-level key', '{ "rules": [],\n  "rule": [] }', 'line 2, column 3: unknown key "rule" (expected "rules")'],
    ['not an object', '[]', 'line 1, column 1: the policy must be a JSON object'],
    ['missing rules', '{}', 'line 1, column 1: missing "rules"'],
    ['missing action', '{ "rules": [ { "match": {} } ] }', 'line 1, column 14: rules[0]: missing "action"'],
    ['unknown type', '{ "rules": [ { "match": { "type": "socket" }, "action": "ignore" } ] }', 'rules[0].match.type: unknown type "socket" (expected one of tcp, udp, unix,'],
    ['io_uring rule', '{ "rules": [ { "match": { "type": "io_uring" }, "action": "ignore" } ] }', 'io_uring cannot be checkpointed whatever the policy says; start the app with `crac run -- node app.js`'],
    ['port out of range', '{ "rules": [ { "match": { "port": 70000 }, "action": "ignore" } ] }', 'rules[0].match.port must be an integer from 0 to 65535'],
    ['port on a file', '{ "rules": [ { "match": { "type": "file", "port": 80 }, "action": "ignore" } ] }', 'rules[0].match.port applies only to tcp and udp sockets'],
    ['relative path glob', '{ "rules": [ { "match": { "path": "logs/*.log" }, "action": "ignore" } ] }', 'rules[0].match.path must be a glob of absolute paths'],
    ['reopen on sockets', '{ "rules": [\n  { "match": { "type": "tcp", "port": 5432 }, "action": "reopen" }\n] }', 'line 2, column 57: rules[0].action: "reopen" applies only to regular files; a tcp descriptor cannot be reopened after restore by node-crac: close it in a Resource\'s beforeCheckpoint'],
    ['warn with error', '{ "rules": [ { "match": {}, "action": "error", "warn": true } ] }', 'rules[0]: "warn" has no effect with action "error"'],
  ];
  for (const [name, text, expected] of cases) {
    const error = policyError(text);
    t.equal(error.name, 'PolicyError', name);
    t.equal(error.file, FILE, name);
    t.match(error.message, `Invalid policy file ${FILE}, `, name);
    t.match(error.message, expected, name);
  }
});

t.test('loadPolicy reads the file; a missing one is a PolicyError naming it', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crac-policy-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'policy.json');
  fs.writeFileSync(file, '{ "rules": [ { "match": { "type": "pipe" }, "action": "ignore" } ] }');
  t.equal(loadPolicy(file).rules[0]?.match.type, 'pipe');
  t.throws(() => loadPolicy(path.join(dir, 'missing.json')), {
    name: 'PolicyError',
    message: new RegExp(`^Invalid policy file ${dir}/missing\\.json: cannot read it: ENOENT`),
  });
});

t.test('the policy file comes from the option, else from CRAC_POLICY', async (t) => {
  setEnv(t, { CRAC_POLICY: '/env/policy.json' });
  t.equal(resolvePolicyFile('/option/policy.json'), '/option/policy.json');
  t.equal(resolvePolicyFile(), '/env/policy.json');
  process.env.CRAC_POLICY = '';
  t.equal(resolvePolicyFile(), undefined);
});
