'use strict';
// Memory of the server process, found through its listening socket: this works
// the same for a cold-started app (our child) and for a restored one (a
// grandchild of `crac restore`, inside its own PID namespace).
const { readdirSync, readFileSync, readlinkSync } = require('node:fs');

function listeningInode(port) {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      // cols[1] local address "0100007F:0BB8", cols[3] state (0A = LISTEN), cols[9] inode
      if (cols.length > 9 && cols[1].endsWith(`:${hexPort}`) && cols[3] === '0A') return cols[9];
    }
  }
  return undefined;
}

/** The host PID of the process listening on 127.0.0.1:port, or undefined. */
function pidListeningOn(port) {
  const inode = listeningInode(port);
  if (!inode) return undefined;
  const target = `socket:[${inode}]`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds;
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${entry}/fd/${fd}`) === target) return Number(entry);
      } catch {
        // closed meanwhile
      }
    }
  }
  return undefined;
}

/** Resident set size of a process in bytes (VmRSS). */
function rssOf(pid) {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!kb) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(kb[1]) * 1024;
}

module.exports = { pidListeningOn, rssOf };
