import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { runCheckChild } from './fixtures/runCheckChild.js';
import type { CheckResult } from './fixtures/checkChild.js';

function tempDir(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crac-check-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function failure(t: Test, result: CheckResult): Extract<CheckResult, { passed: false }> {
  if (result.passed) throw new Error(`expected the check to fail, it passed: ${JSON.stringify(result.ignored)}`);
  t.equal(result.name, 'OpenResourcesError');
  return result;
}

function writePolicy(t: Test, policy: unknown): string {
  const file = path.join(tempDir(t), 'policy.json');
  fs.writeFileSync(file, JSON.stringify(policy, null, 2));
  return file;
}

t.test('a fresh process with nothing open passes', async (t) => {
  const { before } = await runCheckChild(t, 'fresh');
  t.ok(before.passed, 'the check passes', { before });
  if (!before.passed) return;
  t.match(before.expected, ['fd 0: stdio', 'fd 1: stdio', 'fd 2: stdio']);
  t.ok(before.expected.some((line) => line.includes('epoll')), 'libuv epoll is expected');
  t.ok(before.expected.some((line) => line.includes("libuv's internal pipe")), 'libuv pipes are expected');
  t.same(before.ignored, []);
});

t.test('a listening TCP server fails with its address and LISTEN, and passes once closed', async (t) => {
  const { info, before, after } = await runCheckChild(t, 'tcp-listen');
  const result = failure(t, before);
  t.match(result.message, new RegExp(`^fd \\d+: tcp 127\\.0\\.0\\.1:${info.port} LISTEN$`, 'm'));
  t.match(result.message, /^Checkpoint refused: 1 open descriptor\(s\) cannot be checkpointed:$/m);
  t.match(result.message, /process\.getActiveResourcesInfo\(\).*TCPServerWrap/);
  t.match(result.message, /beforeCheckpoint.*adapter.*policy file/);
  t.equal(result.fds.length, 1);
  t.ok(after.passed, 'passes after server.close()');
});

t.test('an established connection shows both addresses and ESTABLISHED', async (t) => {
  const { info, before, after } = await runCheckChild(t, 'tcp-established');
  const result = failure(t, before);
  const client = `127.0.0.1:${info.clientPort}`;
  const server = `127.0.0.1:${info.port}`;
  t.match(result.message, new RegExp(`^fd \\d+: tcp ${client} -> ${server} ESTABLISHED$`, 'm'));
  t.match(result.message, new RegExp(`^fd \\d+: tcp ${server} -> ${client} ESTABLISHED$`, 'm'));
  t.match(result.message, new RegExp(`^fd \\d+: tcp ${server} LISTEN$`, 'm'));
  t.ok(after.passed);
});

t.test('a UDP socket is reported with its address', async (t) => {
  const { info, before, after } = await runCheckChild(t, 'udp');
  t.match(failure(t, before).message, new RegExp(`^fd \\d+: udp 127\\.0\\.0\\.1:${info.port}$`, 'm'));
  t.ok(after.passed);
});

t.test('a unix socket server is reported with its path', async (t) => {
  const socket = path.join(tempDir(t), 'app.sock');
  const { before, after } = await runCheckChild(t, 'unix', { env: { TEST_PATH: socket } });
  t.match(failure(t, before).message, new RegExp(`^fd \\d+: unix stream ${socket} LISTEN$`, 'm'));
  t.ok(after.passed);
});

t.test('a file open for reading fails with its path and flags', async (t) => {
  const file = path.join(tempDir(t), 'data.txt');
  fs.writeFileSync(file, 'hello, world');
  const { info, before, after } = await runCheckChild(t, 'file-read', { env: { TEST_PATH: file } });
  t.match(failure(t, before).message, new RegExp(`^fd ${info.fd}: file ${file} \\(read, position 5\\)$`, 'm'));
  t.ok(after.passed);
});

t.test('a file opened for append passes by default', async (t) => {
  const file = path.join(tempDir(t), 'app.log');
  const { info, before } = await runCheckChild(t, 'file-append', { env: { TEST_PATH: file } });
  t.ok(before.passed, 'the check passes', { before });
  if (before.passed) t.same(before.ignored, [`fd ${info.fd}: file ${file} (append)`]);
});

t.test('an fs.watch inotify descriptor is reported', async (t) => {
  const { before, after } = await runCheckChild(t, 'inotify', { env: { TEST_PATH: tempDir(t) } });
  t.match(failure(t, before).message, /^fd \d+: inotify \(fs\.watch, 1 watch\)$/m);
  t.match(failure(t, before).message, /FSEventWrap/);
  t.ok(after.passed, "libuv's inotify instance without watches passes");
});

t.test('a FIFO is reported with its path', async (t) => {
  const fifo = path.join(tempDir(t), 'queue');
  execFileSync('mkfifo', [fifo]);
  const { info, before, after } = await runCheckChild(t, 'fifo', { env: { TEST_PATH: fifo } });
  t.match(failure(t, before).message, new RegExp(`^fd ${info.fd}: fifo ${fifo} \\(read\\)$`, 'm'));
  t.ok(after.passed);
});

t.test('policy rules', async (t) => {
  t.test('ignore passes the descriptor, silently', async (t) => {
    const policy = writePolicy(t, { rules: [{ match: { type: 'tcp' }, action: 'ignore' }] });
    const { info, before } = await runCheckChild(t, 'tcp-listen', { env: { CRAC_POLICY: policy } });
    t.ok(before.passed, 'the check passes', { before });
    if (!before.passed) return;
    t.match(before.ignored, [new RegExp(`tcp 127\\.0\\.0\\.1:${info.port} LISTEN$`)]);
    t.same(before.warnings, []);
  });

  t.test('warn: true reports the descriptor in the warnings', async (t) => {
    const policy = writePolicy(t, { rules: [{ match: { type: 'udp' }, action: 'ignore', warn: true }] });
    const { info, before } = await runCheckChild(t, 'udp', { env: { CRAC_POLICY: policy } });
    t.ok(before.passed, 'the check passes', { before });
    if (!before.passed) return;
    t.equal(before.warnings.length, 1);
    t.match(before.warnings[0], new RegExp(`udp 127\\.0\\.0\\.1:${info.port}: ignored by policy rule 1 \\(.*policy\\.json line 3\\)`));
  });

  t.test('close closes the descriptor before the dump', async (t) => {
    const policy = writePolicy(t, { rules: [{ match: { type: 'tcp', port: 1 }, action: 'error' }, { match: { family: 'ipv4' }, action: 'close' }] });
    const { info, before, after } = await runCheckChild(t, 'tcp-listen', { env: { CRAC_POLICY: policy } });
    t.ok(before.passed, 'the check passes', { before });
    if (!before.passed) return;
    t.match(before.closed, [new RegExp(`tcp 127\\.0\\.0\\.1:${info.port} LISTEN$`)]);
    // The second check sees the descriptor gone, without the server having been closed.
    t.ok(after.passed);
    if (after.passed) t.same(after.closed, []);
  });

  t.test('error fails even a file opened for append, naming the rule', async (t) => {
    const dir = tempDir(t);
    const policy = writePolicy(t, { rules: [{ match: { path: `${dir}/*.log` }, action: 'error' }] });
    const file = path.join(dir, 'app.log');
    const { before } = await runCheckChild(t, 'file-append', { env: { CRAC_POLICY: policy, TEST_PATH: file } });
    t.match(failure(t, before).message, new RegExp(`file ${file} \\(append\\) \\(policy rule 1 \\(.*policy\\.json line 3\\)\\)$`, 'm'));
  });

  t.test('reopen closes a file and opens it again at the same number and position', async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'data.txt');
    fs.writeFileSync(file, 'hello, world');
    const policy = writePolicy(t, { rules: [{ match: { type: 'file', path: `${dir}/**` }, action: 'reopen' }] });
    const { info, before } = await runCheckChild(t, 'file-read', { env: { CRAC_POLICY: policy, TEST_PATH: file } });
    t.ok(before.passed, 'the check passes', { before });
    if (!before.passed) return;
    t.same(before.reopening, [`fd ${info.fd}: file ${file} (read, position 5)`]);
    t.equal(info.restOfFile, ', world');
  });

  t.test('reopen refuses a socket, saying why', async (t) => {
    const policy = writePolicy(t, { rules: [{ match: { path: '/**' }, action: 'reopen' }] });
    const { before } = await runCheckChild(t, 'unix', {
      env: { CRAC_POLICY: policy, TEST_PATH: path.join(tempDir(t), 's.sock') },
    });
    t.match(failure(t, before).message, /unix stream .*s\.sock LISTEN \(policy rule 1 .*"reopen" applies only to regular files; a unix descriptor cannot be reopened/);
  });

  t.test('a malformed policy file fails the check with a PolicyError naming the line', async (t) => {
    const file = path.join(tempDir(t), 'policy.json');
    fs.writeFileSync(file, '{\n  "rules": [\n    { "match": {}, "action": "drop" }\n  ]\n}\n');
    const { before } = await runCheckChild(t, 'fresh', { env: { CRAC_POLICY: file } });
    t.notOk(before.passed);
    if (before.passed) return;
    t.equal(before.name, 'PolicyError');
    t.match(before.message, `Invalid policy file ${file}, line 3, column 30: rules[0].action: unknown action "drop"`);
  });
});
