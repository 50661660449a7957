import t from 'tap';
import { criuPhases } from '../../src/cli/restoreTimings.js';

// CRIU's phases in wall time, from its log and the wall times its action script wrote there.

const log = [
  '(00.000000) CRIU run id = x',
  '(00.000117) Loaded kdat cache from /run/criu.kdat',
  '(00.001244) cpu: x86_family 25',
  '(00.002245) Running pre-restore scripts',
  '(00.002260) \t[/path/crac_restore_helper]',
  'crac_restore_helper: action pre-restore at 1000.003245',
  '(00.005908) Forking task with 936 pid (flags 0x0)',
  '(00.010309) pie: 936: Preadv 0xb6f000:4096... (85 iovs)',
  '(00.024706) pie: 936: `- returned 15962112',
  '(00.024900) pie: 937: Preadv 0xb6f000:4096... (1 iovs)',
  '(00.025000) pie: 937: `- returned 4096',
  '(00.032189) Running pre-resume scripts',
  '(00.032201) \t[/path/crac_restore_helper]',
  'crac_restore_helper: action pre-resume at 1000.032689',
  '(00.041450) Restore finished successfully. Tasks resumed.',
].join('\n');

t.test("CRIU's start is the closest anchor: the action with the shortest launch", async (t) => {
  const phases = criuPhases(log);
  t.same(phases.map((p) => p.phase), [
    'helper, namespaces, criu exec', 'criu kernel probes', 'criu reads the image', 'criu pre-restore action',
    'criu files and mappings', 'criu memory pages', 'criu the rest',
  ]);
  const at = (phase: string): number => phases.find((p) => p.phase === phase)!.at;
  t.equal(Math.round(at('helper, namespaces, criu exec') * 1000), 1_000_000_500, 'pre-resume launched 0.5 ms after its line, pre-restore 1 ms');
  t.equal(Math.round((at('criu memory pages') - at('helper, namespaces, criu exec')) * 1000), 25_000, 'memory ends with the last task that read pages');
  t.equal(Math.round((at('criu the rest') - at('helper, namespaces, criu exec')) * 1000), 41_450);
});

t.test('a log without our action lines gives no phases', async (t) => {
  t.same(criuPhases(log.replace(/^crac_restore_helper: .*$/gm, '')), []);
});
