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

t.test('the restore breakdown: one stacked bar per measured example, a legend entry per group, its total as label', async (t) => {
  const measured = {
    ...summary('hello', 130, 60, 140),
    restoreGroups: [{ group: '`crac` command start', ms: 25 }, { group: 'CRIU restore', ms: 15 }, { group: 'first request', ms: 20 }],
  };
  const svg = renderChart([measured, summary('koa', 90, 70, 95)]);
  t.same(xmlProblems(svg), []);
  t.match(svg, '>Where the restore time goes (median ms per group of phases)</text>');
  for (const name of ['crac command start', 'CRIU restore', 'first request']) t.match(svg, `>${name}</text>`, name);
  t.match(svg, '>60.0 ms</text>', 'the total');
  t.notMatch(renderChart([summary('koa', 90, 70, 95)]), 'Where the restore time goes', 'no panel without measured phases');
});
