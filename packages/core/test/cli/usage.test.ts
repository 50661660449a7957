import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, runCrac } from '@node-crac/test-kit';
import t from 'tap';

// The real bin/crac.js as a child process. None of these gets as far as starting
// an app or CRIU: a wrong command line is refused before anything is done.
const version = (JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as { version: string }).version;

t.test('crac --version prints the package version', async (t) => {
  for (const flag of ['--version', '-V']) {
    const run = await runCrac(t, [flag]);
    t.equal(run.code, 0, flag);
    t.equal(run.output, `${version}\n`);
  }
});

t.test('no command, or an unknown one, exits 2 and points to crac --help', async (t) => {
  const none = await runCrac(t, []);
  t.equal(none.code, 2);
  t.match(none.output, /^Usage: crac <command>/);
  const unknown = await runCrac(t, ['chekpoint']);
  t.equal(unknown.code, 2);
  t.match(unknown.output, 'crac: unknown command "chekpoint"\nRun "crac --help" for the commands.');
  const help = await runCrac(t, ['--help']);
  t.equal(help.code, 0);
  t.match(help.output, /crac --version/);
});

t.test('every command refuses an unknown option with exit 2 and a hint naming its --help', async (t) => {
  const cases: [string[], string][] = [
    [['doctor', '--jsn'], 'doctor'],
    [['run', '--bogus', '--', process.execPath, '-e', '0'], 'run'],
    [['checkpoint', '--image', '/nonexistent/image', '--warmup-urls', 'http://127.0.0.1:1/', '--', process.execPath], 'checkpoint'],
    [['restore', '/nonexistent', '--bogus'], 'restore'],
    [['verify', '/nonexistent', '--sha'], 'verify'],
  ];
  for (const [args, command] of cases) {
    const run = await runCrac(t, args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.output, new RegExp(`^crac ${command}: unknown option --[\\w-]+\\nRun "crac ${command} --help" for usage\\.\\n$`), `${command}: names the option and the fix`);
    t.notMatch(run.output, /To specify a positional argument/, 'without parseArgs\' advice about --');
  }
});

t.test('parseArgs errors other than unknown options are usage errors too', async (t) => {
  const missing = await runCrac(t, ['checkpoint', '--image']);
  t.equal(missing.code, 2);
  t.match(missing.output, 'crac checkpoint: --image needs a value\nRun "crac checkpoint --help" for usage.');
  const stray = await runCrac(t, ['run', 'node', 'app.js']);
  t.equal(stray.code, 2);
  t.match(stray.output, `crac run: unexpected argument "node" (the app's command goes after --)`);
  const flagValue = await runCrac(t, ['checkpoint', '--pid', '1', '--image', '/nonexistent', '--leave-running=yes']);
  t.equal(flagValue.code, 2);
  t.match(flagValue.output, /^crac checkpoint: Option '--leave-running' does not take an argument\n/);
});

t.test('bad values are usage errors that name the option', async (t) => {
  const cases: [string[], RegExp][] = [
    [['checkpoint', '--image', '/nonexistent', '--warmup-concurrency', '0', '--', process.execPath], /--warmup-concurrency must be a positive integer, got "0"/],
    [['checkpoint', '--image', '/nonexistent', '--warmup-requests', '2', '--warmup-duration', '1', '--', process.execPath], /give --warmup-requests or --warmup-duration, not both/],
    [['restore', '/nonexistent', '--resume-timeout', 'soon'], /--resume-timeout wants a number of seconds/],
    [['verify'], /give exactly one image directory/],
    [['restore', '/nonexistent', '--reuse-port'], /--reuse-port goes with --listen \(with systemd socket activation, set ReusePort= in the \.socket unit\)/],
    [['start', '--image', '/nonexistent', '--reuse-port', '--', process.execPath], /--reuse-port goes with --listen/],
    [['checkpoint', '--pid', '1', '--image', '/nonexistent', '--listen', '3000'], /--listen goes with a command to start, not --pid/],
    [['run', '--listen', 'localhost:3000', '--', process.execPath], /--listen localhost:3000: HOST must be a numeric address/],
    [['restore', '/nonexistent', '--listen', '99999'], /--listen wants \[HOST:\]PORT with PORT 1-65535, got "99999"/],
  ];
  for (const [args, message] of cases) {
    const run = await runCrac(t, args);
    t.equal(run.code, 2, args.join(' '));
    t.match(run.output, message);
    t.match(run.output, /Run "crac \w+ --help" for usage\./);
  }
});

t.test('each command has its own --help, exit 0', async (t) => {
  for (const command of ['doctor', 'run', 'checkpoint', 'restore', 'verify']) {
    const run = await runCrac(t, [command, '--help']);
    t.equal(run.code, 0, command);
    t.match(run.output, new RegExp(`^Usage:\\s+crac ${command}`), `${command}: its usage`);
  }
  const checkpoint = await runCrac(t, ['checkpoint', '-h']);
  t.match(checkpoint.output, /--warmup-concurrency N[\s\S]*--warmup-any-status/);
});

t.test('crac run --listen with a PORT that differs is a usage error: the app would not listen on the held port', async (t) => {
  const port = await freePort();
  const run = await runCrac(t, ['run', '--listen', String(port), '--', process.execPath, '-e', ''], { PORT: '2' });
  t.equal(run.code, 2);
  t.match(run.output, `PORT=2 is given, but --listen ${port} holds 0.0.0.0:${port} for the app: drop PORT, or make it ${port}`);
});
