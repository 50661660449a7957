'use strict';
// bench/chart.svg: the SVG that renderChart draws, read back as text.
const t = require('tap');
const { renderChart } = require('../lib/chart');
const { escapeXml } = require('../lib/svg');

const MB = 2 ** 20;
const summary = (name, coldMs, restoreMs, compileCacheMs) => ({
  name, runs: 5, coldMs, compileCacheMs, restoreMs, rssBeforeCheckpoint: 300 * MB, imageBytes: 64.7 * MB, imageNoShrinkBytes: 243.3 * MB,
});

/** The problems of `svg` as XML: unbalanced tags, unquoted attributes, bare `&` or `<` in text; none for a well-formed document. */
function xmlProblems(svg) {
  const problems = [];
  const open = [];
  let roots = 0;
  const entity = /&(?!(?:amp|lt|gt|quot|apos);)/;
  for (const [token] of svg.matchAll(/<[^>]*>|[^<]+/g)) {
    if (!token.startsWith('<')) {
      if (entity.test(token) || token.includes('>')) problems.push(`unescaped text: ${token}`);
      if (open.length === 0 && token.trim()) problems.push(`text outside the root: ${token}`);
      continue;
    }
    const closing = token.match(/^<\/([\w:-]+)>$/);
    if (closing) {
      if (open.pop() !== closing[1]) problems.push(`unbalanced ${token}`);
      continue;
    }
    const element = token.match(/^<([\w:-]+)((?:\s+[\w:-]+="[^"<]*")*)\s*(\/?)>$/);
    if (!element) {
      problems.push(`malformed tag: ${token}`);
      continue;
    }
    if (entity.test(element[2])) problems.push(`unescaped attribute: ${token}`);
    if (open.length === 0) roots++;
    if (!element[3]) open.push(element[1]);
  }
  if (open.length) problems.push(`unclosed: ${open.join(', ')}`);
  if (roots !== 1) problems.push(`${roots} root elements`);
  return problems;
}

const texts = (svg) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

t.test('the chart is one well-formed <svg> document', async (t) => {
  const svg = renderChart([summary('hello', 131.6, 83.4, 139.4), summary('realistic', 1305, 119, 1374)]);
  t.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg" width="1100" height="\d+" viewBox="0 0 1100 \d+"/);
  t.same(xmlProblems(svg), []);
  t.ok(svg.endsWith('</svg>\n'));
});

t.test('every example has its bars and its measured values as labels', async (t) => {
  const svg = renderChart([summary('hello', 131.6, 83.4, 139.4), summary('realistic', 1305, 119, 1374)]);
  const labels = texts(svg);
  t.equal(labels.filter((l) => l === 'hello').length, 2, 'hello labels both panels');
  t.equal(labels.filter((l) => l === 'realistic').length, 2, 'realistic labels both panels');
  for (const value of ['132 ms', '139 ms', '83.4 ms', '1305 ms', '1374 ms', '119 ms', '300 MB', '64.7 MB', '243 MB']) t.ok(labels.includes(value), value);
  t.ok(labels.includes('Time to first HTTP 200, median of 5 runs'));
  t.same(labels.filter((l) => /^(cold start|compile cache|crac restore|RSS before|image|image, no shrink)$/.test(l)),
    ['cold start', 'compile cache', 'crac restore', 'RSS before', 'image', 'image, no shrink'], 'the legends');
  t.equal((svg.match(/<rect [^>]*height="18"/g) ?? []).length, 2 * 3 + 2 * 3, 'three bars per example and panel');
});

t.test('bars are as long as their values, relative to the longest in the panel', async (t) => {
  const svg = renderChart([summary('realistic', 1000, 100, 500)]);
  const widths = [...svg.matchAll(/<rect x="150" y="[\d.]+" width="([\d.]+)" height="18"/g)].map((m) => Number(m[1]));
  t.same(widths.slice(0, 3), [800, 400, 80], 'cold, compile cache, restore');
});

t.test('crac-restore is a fourth bar when the results have it', async (t) => {
  const svg = renderChart([{ ...summary('realistic', 1000, 100, 500), fastRestoreMs: 40 }, summary('hello', 131.6, 83.4, 139.4)]);
  const widths = [...svg.matchAll(/<rect x="150" y="[\d.]+" width="([\d.]+)" height="18"/g)].map((m) => Number(m[1]));
  t.same(widths.slice(0, 4), [800, 400, 80, 32], 'cold, compile cache, crac restore, crac-restore');
  t.ok(texts(svg).includes('crac-restore'), 'in the legend');
  t.equal((svg.match(/<rect [^>]*height="18"/g) ?? []).length, 4 + 3 + 2 * 3, 'no crac-restore bar for an example without it');
  t.same(xmlProblems(svg), []);
});

t.test('without a compile cache there is no compile cache bar', async (t) => {
  const svg = renderChart([summary('hello', 131.6, 83.4, null)]);
  t.notOk(texts(svg).includes('compile cache'));
  t.equal((svg.match(/<rect [^>]*height="18"/g) ?? []).length, 2 + 3);
  t.same(xmlProblems(svg), []);
});

t.test('text from the data is escaped', async (t) => {
  t.equal(escapeXml(`<a href="x">Tom & Jerry's</a>`), '&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&apos;s&lt;/a&gt;');
  const svg = renderChart([summary('<b>&"koa"', 88.9, 79.9, 93)]);
  t.ok(texts(svg).includes('&lt;b&gt;&amp;&quot;koa&quot;'));
  t.notOk(svg.includes('<b>'));
  t.same(xmlProblems(svg), []);
});

t.test('the well-formedness check finds what it looks for', async (t) => {
  t.same(xmlProblems('<svg><text>a & b</text></svg>'), ['unescaped text: a & b']);
  t.same(xmlProblems('<svg><text>a</svg>'), ['unbalanced </svg>', 'unclosed: svg']);
  t.same(xmlProblems('<svg><rect x=1/></svg>'), ['malformed tag: <rect x=1/>']);
  t.same(xmlProblems('<svg/><svg/>'), ['2 root elements']);
});

t.test('the restore breakdown: per launcher, one stacked bar per measured example, a legend entry per group, its total as label', async (t) => {
  const measured = {
    ...summary('hello', 130, 60, 140),
    restoreGroups: [{ group: 'launcher start', ms: 25 }, { group: 'CRIU restore', ms: 15 }, { group: 'first request', ms: 20 }],
    fastRestoreMs: 30,
    fastRestoreGroups: [{ group: 'launcher start', ms: 1 }, { group: 'CRIU restore', ms: 14 }, { group: 'first request', ms: 15.5 }],
  };
  const svg = renderChart([measured, summary('koa', 90, 70, 95)]);
  t.same(xmlProblems(svg), []);
  const fast = svg.indexOf('>Where the restore time goes: crac-restore (median ms per group of phases)</text>');
  const node = svg.indexOf('>Where the restore time goes: crac restore (median ms per group of phases)</text>');
  t.ok(fast >= 0 && fast < node, 'crac-restore, then crac restore');
  for (const name of ['launcher start', 'CRIU restore', 'first request']) t.equal(texts(svg).filter((l) => l === name).length, 2, name);
  t.match(svg.slice(fast, node), '>30.5 ms</text>', 'the total of crac-restore');
  t.match(svg.slice(node), '>60.0 ms</text>', 'the total of crac restore');
  t.notMatch(renderChart([summary('koa', 90, 70, 95)]), 'Where the restore time goes', 'no panel without measured phases');
});

t.test('a group keeps its color under the name it had in older results', async (t) => {
  const groups = (first) => [{ group: first, ms: 25 }, { group: 'CRIU restore', ms: 15 }];
  const older = renderChart([{ ...summary('hello', 130, 60, 140), restoreGroups: groups('`crac` command start') }]);
  t.equal(older, renderChart([{ ...summary('hello', 130, 60, 140), restoreGroups: groups('launcher start') }]));
  t.notMatch(older, 'undefined');
});
