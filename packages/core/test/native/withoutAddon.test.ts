import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t, { type Test } from 'tap';

// A copy of the built package without prebuilds/ or native/build stands for
// an install on a platform with no prebuilt binaries and no source build.
const packageRoot = resolve(__dirname, '../..');

function copyWithoutBuild(t: Test): string {
  const copy = mkdtempSync(join(tmpdir(), 'node-crac-no-addon-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(packageRoot, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(copy, 'package.json'));
  return copy;
}

interface Thrown {
  name: string;
  code: string;
  message: string;
  isNativeBridgeError: boolean;
  cause?: string;
}

/** Calls `calls` (each a function of the copy's dist/native/bridge.js) in a child, after `before`; what each threw. */
function thrownBy(copy: string, calls: string[], before = ''): Thrown[] {
  const script = `
    ${before}
    const bridge = require(${JSON.stringify(join(copy, 'dist/native/bridge.js'))});
    const { NativeBridgeError } = require(${JSON.stringify(join(copy, 'dist/index.js'))});
    console.log(JSON.stringify(${JSON.stringify(calls)}.map((call) => {
      try { bridge[call](); return null; }
      catch (e) { return { name: e.name, code: e.code, message: e.message, isNativeBridgeError: e instanceof NativeBridgeError, cause: e.cause?.message }; }
    })));`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as Thrown[];
}

t.test('each missing native part is a NativeBridgeError ERR_CRAC_NATIVE_NOT_BUILT naming the file', async (t) => {
  const thrown = thrownBy(copyWithoutBuild(t), ['loadBridge', 'restoreHelperPath', 'ioUringBlockerPath']);
  t.match(thrown, [
    { name: 'NativeBridgeError', code: 'ERR_CRAC_NATIVE_NOT_BUILT', isNativeBridgeError: true, message: /\(crac_bridge\.node\) is missing/ },
    { name: 'NativeBridgeError', code: 'ERR_CRAC_NATIVE_NOT_BUILT', isNativeBridgeError: true, message: /\(crac_restore_helper\) is missing/ },
    { name: 'NativeBridgeError', code: 'ERR_CRAC_NATIVE_NOT_BUILT', isNativeBridgeError: true, message: /\(crac_no_io_uring\.so\) is missing/ },
  ]);
});

t.test('an addon that does not load is ERR_CRAC_NATIVE_LOAD_FAILED with the loader error as its cause', async (t) => {
  const copy = copyWithoutBuild(t);
  mkdirSync(join(copy, 'native/build/Release'), { recursive: true });
  // A source build is taken only whole: the helper and the blocker must be there too.
  for (const name of ['crac_bridge.node', 'crac_restore_helper', 'crac_no_io_uring.so']) writeFileSync(join(copy, 'native/build/Release', name), 'not a shared object');
  const [thrown, again] = thrownBy(copy, ['loadBridge', 'loadBridge']);
  t.match(thrown, { name: 'NativeBridgeError', code: 'ERR_CRAC_NATIVE_LOAD_FAILED', message: /crac_bridge\.node failed to load: /, cause: /\S/ });
  t.same(again, thrown, 'a second call throws the same');
});

t.test('off Linux the bridge is ERR_CRAC_NATIVE_UNSUPPORTED_PLATFORM and points to the simulate engine', async (t) => {
  const [thrown] = thrownBy(copyWithoutBuild(t), ['loadBridge'], `Object.defineProperty(process, 'platform', { value: 'darwin' });`);
  t.match(thrown, { name: 'NativeBridgeError', code: 'ERR_CRAC_NATIVE_UNSUPPORTED_PLATFORM', message: /need Linux \(this is darwin\); use CRAC_ENGINE=simulate/ });
});

t.test('without the native bridge, simulate works and criu says why it cannot run', async (t) => {
  const copy = copyWithoutBuild(t);

  // The open-resource check is off: on Node 24 it would refuse the io_uring rings before the engine runs.
  const script = `
    const crac = require(${JSON.stringify(join(copy, 'dist/index.js'))});
    (async () => {
      const simulated = await crac.checkpointRestore({ engine: 'simulate', checkOpenResources: false });
      let criu;
      try { await crac.checkpointRestore({ engine: 'criu', checkOpenResources: false, imageDir: ${JSON.stringify(join(copy, 'image'))} }); }
      catch (error) { criu = { name: error.name, message: error.message }; }
      console.log(JSON.stringify({ simulated: simulated.outcome, criu }));
    })();`;
  const result = JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' })) as {
    simulated: string;
    criu: { name: string; message: string };
  };
  t.equal(result.simulated, 'restored', 'the simulate engine runs');
  t.equal(result.criu.name, 'CheckpointError');
  t.match(result.criu.message, /native bridge \(crac_bridge\.node\) is missing: no prebuilt binaries for linux-x64 in .*prebuilds\/linux-x64 .*"npm run build:native".*C compiler/s, 'the criu engine says why');
  const doctor = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(copy, 'dist/cli/main.js'))}).main(['doctor']).then((c) => console.log('exit', c))`], { encoding: 'utf8' });
  t.match(doctor, /\[FAIL\] node-crac native bridge \(crac_bridge\.node\) is missing/, 'crac doctor names it');
  t.match(doctor, /exit 1/);
});
