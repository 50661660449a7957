'use strict';
// The harness's own pieces: statistics, the PNG encoder and the RSS lookup.
const t = require('tap');
const http = require('node:http');
const zlib = require('node:zlib');
const { median, percentile } = require('../lib/stats');
const { encodePng } = require('../lib/png');
const { renderChart } = require('../lib/chart');
const { pidListeningOn, rssOf } = require('../lib/rss');
const { targets } = require('../lib/report');

t.test('median and nearest-rank percentile', async (t) => {
  t.equal(median([3, 1, 2]), 2);
  t.equal(median([4, 1, 3, 2]), 2.5);
  const thousand = Array.from({ length: 1000 }, (_, i) => 1000 - i); // 1..1000, unsorted
  t.equal(percentile(thousand, 50), 500);
  t.equal(percentile(thousand, 99), 990);
  t.equal(percentile([7], 99), 7);
});

t.test('encodePng writes a PNG whose pixels read back', async (t) => {
  const rgb = Buffer.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 9, 9]);
  const png = encodePng(2, 2, rgb);
  t.same([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 'PNG signature');
  t.equal(png.readUInt32BE(16), 2, 'width');
  t.equal(png.readUInt32BE(20), 2, 'height');
  const idatLength = png.readUInt32BE(33);
  t.equal(png.toString('ascii', 37, 41), 'IDAT');
  const raw = zlib.inflateSync(png.subarray(41, 41 + idatLength));
  t.same([...raw], [0, ...rgb.subarray(0, 6), 0, ...rgb.subarray(6)], 'rows with filter byte 0');
});

t.test('renderChart draws one PNG for any number of examples', async (t) => {
  const summary = (name) => ({ name, runs: 5, coldMs: 2500, compileCacheMs: null, restoreMs: 150, rssBeforeCheckpoint: 1e8, imageBytes: 5e7, imageNoShrinkBytes: 8e7 });
  const png = renderChart([summary('hello'), summary('realistic')]);
  t.equal(png.toString('ascii', 12, 16), 'IHDR');
});

t.test('targets say by how much a miss is', async (t) => {
  const [restore, image, p99] = targets({
    coldMs: 1000, restoreMs: 150, restoreShareOfCold: 0.15, speedup: 6.7,
    imageBytes: 70 * 2 ** 20, rssBeforeCheckpoint: 100 * 2 ** 20, imageShareOfRss: 0.7,
    p99Cold: 5, p99Restore: 4,
  });
  t.equal(restore.met, false);
  t.equal(restore.miss, '50 ms over the limit');
  t.equal(image.met, false);
  t.equal(image.miss, '10.0 MB over the limit');
  t.equal(p99.met, true);
});

t.test('pidListeningOn finds the process behind a port', async (t) => {
  const server = http.createServer((req, res) => res.end());
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  t.equal(pidListeningOn(server.address().port), process.pid);
  t.ok(rssOf(process.pid) > 1e6, 'an RSS in bytes');
});

t.test('CRIU restore time from its log', async (t) => {
  const { criuRestoreMsFromLog } = require('../lib/restoreBreakdown');
  const log = '(00.000000) CRIU run id = x\n(00.039585) Running pre-resume scripts\n(00.042371) Restore finished successfully. Tasks resumed.\n';
  t.equal(criuRestoreMsFromLog(log), 42.371);
  t.ok(Number.isNaN(criuRestoreMsFromLog('(00.1) Error (criu/cr-restore.c:2320): Restoring FAILED.')));
});
