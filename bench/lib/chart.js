'use strict';
// bench/chart.svg: time to first 200 (cold, compile cache, crac restore,
// crac-restore) and image size against RSS, per example, as horizontal bar
// panels; and each launcher's measured restore phases as one stacked bar per example.
const { rect, text, svgDocument } = require('./svg');
const { GROUPS, groupNamed } = require('./restoreBreakdown');
const { RESTORES } = require('./summary');

const INK = '#212529';
const GRID = '#dee2e6';
const COLORS = { cold: '#6c757d', cache: '#adb5bd', restore: '#198754', fastRestore: '#20c997', rss: '#0d6efd', image: '#ff9900', full: '#fdd08c' };

const WIDTH = 1100;
const LEFT = 150; // example names
const PLOT_WIDTH = WIDTH - LEFT - 150; // the rest: room for the value labels
const BAR = 18;
const GAP = 4;

function formatValue(value) {
  // 99.96 shows as 100, not 100.0
  return value >= 99.95 ? value.toFixed(0) : value.toFixed(1);
}

/** One panel from `top`: its elements and the y below it. */
function panel(top, { title, unit, legend, groups }) {
  const lines = [text({ x: 20, y: top + 18, 'font-size': 18, 'font-weight': 'bold', fill: INK }, title)];
  let y = top + 36;
  legend.forEach(([label, color], i) => {
    const x = LEFT + i * 230;
    lines.push(rect({ x, y, width: 14, height: 14, fill: color }), text({ x: x + 20, y: y + 12, fill: INK }, label));
  });
  y += 30;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value))) || 1;
  for (const group of groups) {
    const height = group.bars.length * (BAR + GAP);
    lines.push(text({ x: 20, y: y + height / 2 + 3, fill: INK }, group.label), rect({ x: LEFT - 1, y: y - 2, width: 1, height: height + 2, fill: GRID }));
    for (const bar of group.bars) {
      const width = Math.max(2, (bar.value / max) * PLOT_WIDTH);
      lines.push(rect({ x: LEFT, y, width, height: BAR, fill: bar.color }), text({ x: LEFT + width + 6, y: y + 14, fill: INK }, `${formatValue(bar.value)} ${unit}`));
      y += BAR + GAP;
    }
    y += 16;
  }
  return { lines, bottom: y };
}

// One color per group of restore phases (restoreBreakdown.js GROUPS), in order.
const PHASE_COLORS = ['#6c757d', '#adb5bd', '#ced4da', '#6f42c1', '#dc3545', '#198754', '#20c997', '#0d6efd', '#ffc107'];

/**
 * One bar per example, its restore to first 200 by one launcher split into the
 * groups of phases; `kind` names the summary's field (restoreGroups, fastRestoreGroups).
 */
function breakdownPanel(top, summaries, kind, command) {
  const groupsOf = (s) => s[`${kind}Groups`];
  const measured = summaries.filter((s) => groupsOf(s)?.length);
  if (measured.length === 0) return { lines: [], bottom: top - 20 };
  const present = GROUPS.filter((group) => measured.some((s) => groupsOf(s).some((g) => groupNamed(g.group) === group))).map((g) => g.name);
  const color = (name) => PHASE_COLORS[GROUPS.indexOf(groupNamed(name)) % PHASE_COLORS.length];
  const title = `Where the restore time goes: ${command} (median ms per group of phases)`;
  const lines = [text({ x: 20, y: top + 18, 'font-size': 18, 'font-weight': 'bold', fill: INK }, title)];
  let y = top + 36;
  present.forEach((name, i) => {
    const x = LEFT + (i % 4) * 230;
    const rowY = y + Math.floor(i / 4) * 20;
    lines.push(rect({ x, y: rowY, width: 14, height: 14, fill: color(name) }), text({ x: x + 20, y: rowY + 12, fill: INK }, name));
  });
  y += Math.ceil(present.length / 4) * 20 + 10;
  const max = Math.max(...measured.map((s) => groupsOf(s).reduce((sum, g) => sum + g.ms, 0))) || 1;
  for (const s of measured) {
    lines.push(text({ x: 20, y: y + 14, fill: INK }, s.name));
    let x = LEFT;
    for (const g of groupsOf(s)) {
      const width = Math.max(0, (g.ms / max) * PLOT_WIDTH);
      lines.push(rect({ x, y, width, height: BAR, fill: color(g.group) }));
      x += width;
    }
    lines.push(text({ x: x + 6, y: y + 14, fill: INK }, `${formatValue(groupsOf(s).reduce((sum, g) => sum + g.ms, 0))} ms`));
    y += BAR + GAP + 6;
  }
  return { lines, bottom: y + 10 };
}

function renderChart(summaries) {
  const hasCache = summaries.some((s) => s.compileCacheMs !== null);
  // Results from before crac-restore was measured have no such bar.
  const hasFast = summaries.some((s) => Number.isFinite(s.fastRestoreMs));
  const mb = (bytes) => bytes / 2 ** 20;
  const times = panel(20, {
    title: `Time to first HTTP 200, median of ${summaries[0].runs} runs`,
    unit: 'ms',
    legend: [['cold start', COLORS.cold], ...(hasCache ? [['compile cache', COLORS.cache]] : []), ['crac restore', COLORS.restore],
      ...(hasFast ? [['crac-restore', COLORS.fastRestore]] : [])],
    groups: summaries.map((s) => ({
      label: s.name,
      bars: [
        { value: s.coldMs, color: COLORS.cold },
        ...(s.compileCacheMs !== null ? [{ value: s.compileCacheMs, color: COLORS.cache }] : []),
        { value: s.restoreMs, color: COLORS.restore },
        ...(Number.isFinite(s.fastRestoreMs) ? [{ value: s.fastRestoreMs, color: COLORS.fastRestore }] : []),
      ],
    })),
  });
  const memory = panel(times.bottom + 20, {
    title: 'Image size against the RSS before the checkpoint',
    unit: 'MB',
    legend: [['RSS before', COLORS.rss], ['image', COLORS.image], ['image, no shrink', COLORS.full]],
    groups: summaries.map((s) => ({
      label: s.name,
      bars: [
        { value: mb(s.rssBeforeCheckpoint), color: COLORS.rss },
        { value: mb(s.imageBytes), color: COLORS.image },
        { value: mb(s.imageNoShrinkBytes), color: COLORS.full },
      ],
    })),
  });
  let bottom = memory.bottom;
  const breakdowns = RESTORES.flatMap(({ kind, command }) => {
    const breakdown = breakdownPanel(bottom + 20, summaries, kind, command);
    bottom = breakdown.bottom;
    return breakdown.lines;
  });
  return svgDocument({
    width: WIDTH,
    height: bottom + 20,
    title: 'node-crac benchmark: time to first 200, image sizes and where the restore time goes',
    lines: [...times.lines, ...memory.lines, ...breakdowns],
  });
}

module.exports = { renderChart };
