import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import t, { type Test } from 'tap';
import { scanDescriptors, type PathDescriptor } from '../../src/checks/fdTable.js';
import { closeForReopen, reopenClosedFile, reopenObstacle } from '../../src/checks/reopenFiles.js';

function tempFile(t: Test, content: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'crac-reopen-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'data.txt');
  fs.writeFileSync(file, content);
  return file;
}

function descriptorOf(fd: number): PathDescriptor {
  const descriptor = scanDescriptors().find((d) => d.fd === fd);
  if (descriptor?.kind !== 'file') throw new Error(`fd ${fd} is no file`);
  return descriptor;
}

function closeLater(t: Test, fd: number): void {
  t.teardown(() => {
    try {
      fs.closeSync(fd);
    } catch {
      // already closed by the test
    }
  });
}

t.test('a file comes back at its number, flags and position, with lower numbers free', async (t) => {
  const file = tempFile(t, 'abcdefghij');
  const low = fs.openSync('/dev/null', 'r');
  const fd = fs.openSync(file, 'r+');
  closeLater(t, fd);
  fs.readSync(fd, Buffer.alloc(3), 0, 3, null);
  const closed = closeForReopen(descriptorOf(fd));
  // A hole below the number: reopening must not land there.
  fs.closeSync(low);
  t.throws(() => fs.fstatSync(fd), { code: 'EBADF' }, 'closed before the dump');

  reopenClosedFile(closed);
  t.equal(descriptorOf(fd).flags, closed.flags, 'same flags');
  t.equal(fs.readFileSync(fd, 'utf8'), 'defghij', 'reads on from the saved position');
  t.throws(() => fs.fstatSync(low), { code: 'EBADF' }, 'placeholders are gone');
});

t.test('a number taken meanwhile is an error, and nothing is left open', async (t) => {
  const file = tempFile(t, 'abc');
  const fd = fs.openSync(file, 'r');
  closeLater(t, fd);
  const closed = closeForReopen(descriptorOf(fd));
  const squatter = fs.openSync('/dev/null', 'r');
  t.teardown(() => fs.closeSync(squatter));
  t.equal(squatter, fd, 'the lowest free number is the one just closed');
  const before = scanDescriptors().length;
  t.throws(() => reopenClosedFile(closed), { message: `descriptor ${fd} is already in use` });
  t.equal(scanDescriptors().length, before);
});

t.test('a file that shrank below the saved position is an error', async (t) => {
  const file = tempFile(t, 'abcdefghij');
  const fd = fs.openSync(file, 'r');
  closeLater(t, fd);
  fs.readSync(fd, Buffer.alloc(8), 0, 8, null);
  const closed = closeForReopen(descriptorOf(fd));
  fs.writeFileSync(file, 'abc');
  t.throws(() => reopenClosedFile(closed), { message: 'the file is now shorter than the saved position 8' });
  t.throws(() => fs.fstatSync(fd), { code: 'EBADF' }, 'not left half-open');
});

t.test('what cannot be reopened faithfully is said before anything is closed', async (t) => {
  const file = tempFile(t, '');
  const writeOnly = fs.openSync(file, 'w');
  closeLater(t, writeOnly);
  t.equal(reopenObstacle(descriptorOf(writeOnly)), undefined, 'write-only at position 0 is fine');
  fs.writeSync(writeOnly, 'x');
  t.match(reopenObstacle(descriptorOf(writeOnly)), /write position cannot be restored.*'a'.*'r\+'/);
  const appending = fs.openSync(file, 'a');
  closeLater(t, appending);
  fs.writeSync(appending, 'y');
  t.equal(reopenObstacle(descriptorOf(appending)), undefined, 'append needs no position');
  fs.unlinkSync(file);
  t.match(reopenObstacle(descriptorOf(appending)), /deleted/);
});
