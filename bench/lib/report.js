'use strict';
// bench/REPORT.md from the benchmark's results: numbers and comparisons of the
// run only; what each number measures is written by hand in docs/benchmark.md.
const { detailsOfMisses } = require('./missDetails');
const { GROUPS, groupNamed } = require('./restoreBreakdown');
const { speedTargets } = require('./speedTargets');
const { RESTORES } = require('./summary');

const ms = (v) => (v === null || !Number.isFinite(v) ? 'n/a' : `${Math.round(v)} ms`);
const ms1 = (v) => (v === null || !Number.isFinite(v) ? 'n/a' : `${v.toFixed(2)} ms`);
const mb = (bytes) => `${(bytes / 2 ** 20).toFixed(1)} MB`;
// Results from before crac-restore was measured have none of its fields: those show as n/a.
const pct = (share) => (Number.isFinite(share) ? `${(share * 100).toFixed(0)} %` : 'n/a');
const row = (cells) => `| ${cells.join(' | ')} |`;
const pct1 = (share) => `${(share * 100).toFixed(1)} %`;

/**
 * The three targets for `realistic`. Ratios are medians of the per-run ratios
 * (each run measures its cold start and its restore back to back); a miss says
 * by how much.
 */
function targets(s) {
  return [
    {
      target: 'restore to first 200 at most 1/10 of the cold start',
      measured: `${ms(s.restoreMs)} vs ${ms(s.coldMs)} cold: ${pct1(s.restoreShareOfCold)} of the cold start (${s.speedup.toFixed(1)}x faster)`,
      met: s.restoreShareOfCold <= 0.1,
      miss: `${pct1(s.restoreShareOfCold - 0.1)} of the cold start over the limit (about ${ms((s.restoreShareOfCold - 0.1) * s.coldMs)})`,
    },
    {
      target: 'image at most 60 % of the RSS before the checkpoint',
      measured: `${mb(s.imageBytes)} vs RSS ${mb(s.rssBeforeCheckpoint)}: ${pct1(s.imageShareOfRss)}`,
      met: s.imageShareOfRss <= 0.6,
      miss: `${pct1(s.imageShareOfRss - 0.6)} of the RSS over the limit (about ${mb((s.imageShareOfRss - 0.6) * s.rssBeforeCheckpoint)})`,
    },
    {
      target: 'p99 of the first requests after restore no worse than after a cold start',
      measured: `${ms1(s.p99Restore)} vs ${ms1(s.p99Cold)}`,
      met: s.p99Restore <= s.p99Cold,
      miss: `${ms1(s.p99Restore - s.p99Cold)} worse`,
    },
  ];
}

function slowList(slowest) {
  return slowest.map((r) => `#${r.index + 1} ${r.step} ${ms1(r.ms)}`).join('<br>');
}

/**
 * The checks `crac restore` makes on an image before CRIU starts, from
 * results.json's imageChecks; none when the results have none. The share is
 * of the restore to first 200 in the Start table.
 */
function imageChecksSection(imageChecks, summaries, command) {
  if (!imageChecks || !(imageChecks.examples ?? []).length) return [];
  const { examples, repeats } = imageChecks;
  const images = examples[0].images;
  const restoreOf = (name) => summaries.find((s) => s.name === name)?.restoreMs;
  const from = imageChecks.command === command ? '' : ` The share is of the restore to first 200 measured by \`${command}\` above.`;
  return [
    '### Image checks before the restore',
    '',
    `Measured by \`${imageChecks.command}\` (Node ${imageChecks.node}, load average at start / end ${imageChecks.load}) on ` +
      `${images} image${images === 1 ? '' : 's'} per example: each check ${repeats} times per image, each time in a fresh \`node\` process; medians.${from}`,
    '',
    row(['example', 'image', 'files', 'default checks', 'default checks / restore', '`--verify` checks', '`crac verify DIR` in all']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...examples.map((c) => {
      const restoreMs = restoreOf(c.name);
      return row([`\`${c.name}\``, mb(c.imageBytes), String(c.files), ms1(c.defaultMs),
        restoreMs ? pct1(c.defaultMs / restoreMs) : 'n/a', ms1(c.verifyMs), ms(c.verifyCommandMs)]);
    }),
    '',
  ];
}

/**
 * One launcher's restore phases, measured where each ends (bench/lib/restoreBreakdown.js):
 * grouped per example, then each phase; medians over the runs, so the parts of a
 * row need not add up to its total exactly. `kind` names the summary's fields
 * (restoreMs, restorePhases, restoreGroups; fastRestore...).
 */
function breakdownSection(summaries, kind, heading) {
  const measured = summaries.filter((s) => s[`${kind}Phases`]?.length);
  if (measured.length === 0) return [];
  const msOf = (s, group) => s[`${kind}Groups`].find((g) => groupNamed(g.group) === group)?.ms ?? null;
  const groups = GROUPS.filter((group) => measured.some((s) => msOf(s, group) !== null));
  const phases = [...new Set(measured.flatMap((s) => s[`${kind}Phases`].map((p) => p.phase)))];
  const phaseOf = (s, phase) => s[`${kind}Phases`].find((p) => p.phase === phase)?.ms ?? null;
  return [
    `### ${heading}`,
    '',
    row(['example', 'restore to first 200', ...groups.map((g) => g.name)]),
    row(['---', ...['', ...groups].map(() => '---:')]),
    ...measured.map((s) => row([`\`${s.name}\``, ms(s[`${kind}Ms`]), ...groups.map((g) => ms1(msOf(s, g)))])),
    '',
    row(['phase', ...measured.map((s) => `\`${s.name}\``)]),
    row(['---', ...measured.map(() => '---:')]),
    ...phases.map((phase) => row([phase, ...measured.map((s) => ms1(phaseOf(s, phase)))])),
    '',
  ];
}

function targetRows(results) {
  return [
    row(['target', 'measured', 'result']),
    row(['---', '---', '---']),
    ...results.map((t) => row([t.target, t.measured, t.met ? 'met' : `**missed**: ${t.miss}`])),
  ];
}

/** The restore-speed targets for the Node of the main run. */
function speedTargetsSection(summaries, node) {
  const results = speedTargets(summaries);
  if (results.length === 0) return [];
  return [`## Restore-speed targets (Node ${node}, restored with crac-restore)`, '', ...targetRows(results), ''];
}

/**
 * The same examples measured on other Node versions (`node bench/run.js
 * --other-node VERSION`), each in a run of its own: start, image, first
 * requests and the restore-speed targets.
 */
function otherNodesSection(otherNodes) {
  const measured = Object.values(otherNodes ?? {});
  if (measured.length === 0) return [];
  const lines = ['## Other Node versions', ''];
  for (const other of measured) {
    lines.push(
      `### Node ${other.node}`,
      '',
      `Measured by \`${other.command}\` (${other.runs} interleaved runs; load average at start / end ${other.load}).`,
      '',
      row(['example', 'cold start', 'crac restore', 'crac restore / cold', 'crac-restore', 'crac-restore / cold', 'image', 'RSS before checkpoint',
        'p99 cold', 'p99 restored', 'p99 restored, crac-restore']),
      row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
      ...other.summaries.map((s) =>
        row([`\`${s.name}\``, ms(s.coldMs), ms(s.restoreMs), pct(s.restoreShareOfCold), ms(s.fastRestoreMs), pct(s.fastRestoreShareOfCold),
          mb(s.imageBytes), mb(s.rssBeforeCheckpoint), ms1(s.p99Cold), ms1(s.p99Restore), ms1(s.p99FastRestore)]),
      ),
      '',
    );
    const results = speedTargets(other.summaries);
    if (results.length) lines.push(...targetRows(results), '');
  }
  return lines;
}

/**
 * The connections section (`node bench/run.js --connections`): sums over its
 * runs of what happened to each new connection, per phase and way of holding the port.
 */
function connectionsSection(connections) {
  if (!connections) return [];
  const count = (v) => `${v.answered} / ${v.refused} / ${v.reset}${v.other ? ` (+${v.other} other)` : ''}`;
  const lines = [
    '## Connections during a checkpoint and a restore',
    '',
    `Measured by \`${connections.command}\` (Node ${connections.node}, load average ${connections.load}): one new connection to 127.0.0.1 ` +
      `every ${connections.intervalMs} ms (GET of the ready route, \`Connection: close\`), summed over the runs. Checkpoint: \`crac run\` then ` +
      `\`crac checkpoint --pid PID --leave-running\`, counting the connections opened from the start of the checkpoint to ${connections.tailMs} ms after it. ` +
      `Restore: from the moment \`crac restore\` is started until the copy answered ${connections.restoreAnswers}. The port is closed by the app ` +
      '(`closed`, as before), bound by the launcher (`--listen`), or held by a supervisor from before the restore and passed as systemd does (`LISTEN_FDS`).',
    '',
    row(['example', 'phase', 'port', 'runs', 'connections', 'answered / refused / reset', 'median checkpoint or first answer', 'longest wait of an answered one']),
    row(['---', '---', '---', '---:', '---:', '---:', '---:', '---:']),
  ];
  for (const e of connections.examples) {
    for (const [variant, v] of Object.entries(e.checkpoint)) lines.push(row([`\`${e.name}\``, 'checkpoint', `\`${variant}\``, e.runs, v.sent, count(v), ms(v.checkpointMs), ms(v.longestWaitMs)]));
    for (const [variant, v] of Object.entries(e.restore)) lines.push(row([`\`${e.name}\``, 'restore', `\`${variant}\``, e.runs, v.sent, count(v), ms(v.firstAnswerMs), ms(v.longestWaitMs)]));
  }
  lines.push('');
  return lines;
}

function renderReport({ command, machine, runs, requests, compileCache, durationS, summaries, imageChecks, connections, otherNodes }) {
  const realistic = summaries.find((s) => s.name === 'realistic');
  const lines = [
    '# node-crac benchmark',
    '',
    `Generated by \`${command}\` (bench/run.js) in ${Math.round(durationS / 60)} min. Every number is the median of ${runs} runs.`,
    'Raw medians: [results.json](results.json). What each number measures: [docs/benchmark.md](../docs/benchmark.md).',
    '',
    '![time to first 200 and image sizes](chart.svg)',
    '',
    '## Machine',
    '',
    row(['', '']),
    row(['---', '---']),
    row(['CPU', machine.cpu]),
    row(['memory', machine.memory]),
    row(['OS', machine.os]),
    row(['Node (apps and the `crac` command)', machine.node]),
    row(['CRIU', machine.criu]),
    row(['libraries', machine.libraries]),
    row(['load average (1 min) at start / end', machine.load]),
    '',
  ];
  if (realistic) {
    lines.push('## Targets (`realistic`, restored with crac restore)', '', row(['target', 'measured', 'result']), row(['---', '---', '---']));
    const results = targets(realistic);
    for (const t of results) lines.push(row([t.target, t.measured, t.met ? 'met' : `**missed**: ${t.miss}`]));
    lines.push('');
    for (const paragraph of detailsOfMisses(realistic, results)) lines.push(paragraph, '');
  }
  lines.push(...speedTargetsSection(summaries, machine.node));
  lines.push(
    '## Start: time to the first HTTP 200',
    '',
    row(['example', 'cold start', 'cold, compile cache', 'crac restore', 'crac restore / cold', 'speed-up', 'crac-restore', 'crac-restore / cold',
      'checkpoint (dump + seal)', '`crac checkpoint` in all']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...summaries.map((s) =>
      row([`\`${s.name}\``, ms(s.coldMs), compileCache ? ms(s.compileCacheMs) : 'n/a', ms(s.restoreMs), pct(s.restoreShareOfCold),
        `${s.speedup.toFixed(1)}x`, ms(s.fastRestoreMs), pct(s.fastRestoreShareOfCold), ms(s.checkpointMs), ms(s.checkpointCommandMs)]),
    ),
    '',
    ...RESTORES.flatMap(({ kind, command }) => breakdownSection(summaries, kind, `Where the restore time goes: ${command}`)),
    ...imageChecksSection(imageChecks, summaries, command),
    '## Memory: image size and RSS',
    '',
    row(['example', 'RSS before checkpoint', 'RSS after heap shrink', 'image', 'image / RSS', 'image, no heap shrink', 'RSS at first 200: cold', 'restored', 'RSS after the requests: cold', 'restored']),
    row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']),
    ...summaries.map((s) =>
      row([`\`${s.name}\``, mb(s.rssBeforeCheckpoint), mb(s.rssAfterShrink), mb(s.imageBytes), pct(s.imageShareOfRss), mb(s.imageNoShrinkBytes),
        mb(s.rssCold), mb(s.rssRestore), mb(s.rssColdAfterLoad), mb(s.rssRestoreAfterLoad)]),
    ),
    '',
    `## Latency of the first ${requests} requests`,
    '',
    row(['example', 'p50 cold', 'p50 restored', 'p99 cold', ...(compileCache ? ['p99 cold, compile cache'] : []), 'p99 restored', 'p99 restored, crac-restore',
      'p99 without the first 10: cold', 'restored']),
    row(['---', '---:', '---:', '---:', ...(compileCache ? ['---:'] : []), '---:', '---:', '---:', '---:']),
    ...summaries.map((s) =>
      row([`\`${s.name}\``, ms1(s.p50Cold), ms1(s.p50Restore), ms1(s.p99Cold), ...(compileCache ? [ms1(s.p99CompileCache)] : []), ms1(s.p99Restore),
        ms1(s.p99FastRestore), ms1(s.p99ColdAfterFirst10), ms1(s.p99RestoreAfterFirst10)]),
    ),
    '',
    `### Slowest positions in the sequence (median latency at that position over the ${runs} runs)`,
    '',
    row(['example', 'after a cold start', 'after a restore']),
    row(['---', '---', '---']),
    ...summaries.map((s) => row([`\`${s.name}\``, slowList(s.slowestCold), slowList(s.slowestRestore)])),
    '',
    ...connectionsSection(connections),
    ...otherNodesSection(otherNodes),
  );
  return `${lines.join('\n')}\n`;
}

module.exports = { renderReport, targets, imageChecksSection, breakdownSection, connectionsSection, otherNodesSection };
