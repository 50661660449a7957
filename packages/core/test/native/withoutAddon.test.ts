import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';

// A copy of the built package without prebuilds/ or native/build stands for
// an install on a platform with no prebuilt binaries and no source build.
const packageRoot = resolve(__dirname, '../..');

t.test('without the native bridge, simulate works and criu says why it cannot run', async (t) => {
  const copy = mkdtempSync(join(tmpdir(), 'node-crac-no-addon-'));
  t.teardown(() => rmSync(copy, { recursive: true, force: true }));
  cpSync(join(packageRoot, 'dist'), join(copy, 'dist'), { recursive: true });
  cpSync(join(packageRoot, 'package.json'), join(copy, 'package.json'));

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
  t.match(result.criu.message, /native bridge is missing: no prebuilt binaries for linux-x64 in .*prebuilds\/linux-x64 .*"npm run build:native".*C compiler/s, 'the criu engine says why');
  const doctor = execFileSync(process.execPath, ['-e', `require(${JSON.stringify(join(copy, 'dist/cli/main.js'))}).main(['doctor']).then((c) => console.log('exit', c))`], { encoding: 'utf8' });
  t.match(doctor, /\[FAIL\] node-crac native bridge is missing/, 'crac doctor names it');
  t.match(doctor, /exit 1/);
});
