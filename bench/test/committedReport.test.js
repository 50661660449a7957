'use strict';
// The committed bench/REPORT.md and bench/chart.svg are what the code renders
// from the committed bench/results.json: after a change to either renderer,
// `node bench/run.js --render` rewrites them.
const t = require('tap');
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { renderReport } = require('../lib/report');
const { renderChart } = require('../lib/chart');

const bench = join(__dirname, '..');
const results = JSON.parse(readFileSync(join(bench, 'results.json'), 'utf8'));

t.test('REPORT.md matches results.json', async (t) => {
  t.equal(readFileSync(join(bench, 'REPORT.md'), 'utf8'), renderReport(results));
});

t.test('chart.svg matches results.json and labels every example', async (t) => {
  const svg = readFileSync(join(bench, 'chart.svg'), 'utf8');
  t.equal(svg, renderChart(results.summaries));
  for (const { name } of results.summaries) t.match(svg, `>${name}</text>`, name);
});
