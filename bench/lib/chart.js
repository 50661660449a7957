'use strict';
// bench/chart.png: time to first 200 (cold, compile cache, restore) and
// image size against RSS, per example, as horizontal bar panels.
const { Canvas } = require('./canvas');

const INK = [33, 37, 41];
const GRID = [222, 226, 230];
const COLORS = { cold: [108, 117, 125], cache: [173, 181, 189], restore: [25, 135, 84], rss: [13, 110, 253], image: [255, 153, 0], full: [253, 208, 140] };

const WIDTH = 1100;
const LEFT = 150; // example names
const RIGHT = 40;
const BAR = 18;
const GAP = 4;

function panel(canvas, top, { title, unit, groups, legend }) {
  canvas.text(20, top, title, INK, 2);
  let y = top + 30;
  legend.forEach(([label, color], i) => {
    const x = LEFT + i * 230;
    canvas.fillRect(x, y + 2, 14, 14, color);
    canvas.text(x + 20, y + 2, label, INK, 2);
  });
  y += 30;
  const max = Math.max(...groups.flatMap((g) => g.bars.map((b) => b.value)));
  const plotWidth = WIDTH - LEFT - RIGHT - 110; // room for value labels
  for (const group of groups) {
    const height = group.bars.length * (BAR + GAP);
    canvas.text(20, y + height / 2 - 8, group.label, INK, 2);
    canvas.fillRect(LEFT - 1, y - 2, 1, height + 2, GRID);
    for (const bar of group.bars) {
      const w = Math.max(2, (bar.value / max) * plotWidth);
      canvas.fillRect(LEFT, y, w, BAR, bar.color);
      canvas.text(LEFT + w + 6, y + 2, `${formatValue(bar.value)} ${unit}`, INK, 2);
      y += BAR + GAP;
    }
    y += 16;
  }
  return y;
}

function panelHeight(groups, barsPerGroup) {
  return 60 + groups * (barsPerGroup * (BAR + GAP) + 16);
}

function formatValue(value) {
  return value >= 100 ? value.toFixed(0) : value.toFixed(1);
}

function renderChart(summaries) {
  const hasCache = summaries.some((s) => s.compileCacheMs !== null);
  const timeBars = hasCache ? 3 : 2;
  const height = 20 + panelHeight(summaries.length, timeBars) + 20 + panelHeight(summaries.length, 3);
  const canvas = new Canvas(WIDTH, height);
  const mb = (bytes) => bytes / 2 ** 20;

  const afterTimes = panel(canvas, 20, {
    title: `Time to first HTTP 200, median of ${summaries[0].runs} runs`,
    unit: 'ms',
    legend: [['cold start', COLORS.cold], ...(hasCache ? [['compile cache', COLORS.cache]] : []), ['crac restore', COLORS.restore]],
    groups: summaries.map((s) => ({
      label: s.name,
      bars: [
        { value: s.coldMs, color: COLORS.cold },
        ...(hasCache ? [{ value: s.compileCacheMs ?? 0, color: COLORS.cache }] : []),
        { value: s.restoreMs, color: COLORS.restore },
      ],
    })),
  });
  panel(canvas, afterTimes + 20, {
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
  return canvas.toPng();
}

module.exports = { renderChart };
