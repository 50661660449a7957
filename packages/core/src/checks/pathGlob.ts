/**
 * Path globs for policy rules: `*` and `?` stay within one path segment,
 * `**` spans segments (`/var/log/**` matches every file below /var/log),
 * everything else is literal. Kept this small on purpose: the core has no
 * runtime dependencies, and Node 20's path.matchesGlob is experimental.
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i]!;
    if (char === '*' && glob[i + 1] === '*') {
      i++;
      if (glob[i + 1] === '/') {
        // `**/` also matches no directory at all: /a/**/b matches /a/b.
        i++;
        source += '(?:.*/)?';
      } else {
        source += '.*';
      }
    } else if (char === '*') {
      source += '[^/]*';
    } else if (char === '?') {
      source += '[^/]';
    } else {
      source += char.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
    }
  }
  return new RegExp(`^${source}$`);
}
