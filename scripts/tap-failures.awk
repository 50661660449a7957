# Lists the failed tests of a tap log (--reporter=tap), each with the path of
# subtests that leads to it, and the diagnostics of each failed assertion, so
# that the end of a long run says what failed without scrolling back.
#   awk -f scripts/tap-failures.awk LOG...
function depth(line) { match(line, /^ */); return RLENGTH / 4 }
/^ *# Subtest: / {
  d = depth($0); name = $0; sub(/^ *# Subtest: /, "", name)
  path[d] = name; for (k = d + 1; k in path; k++) delete path[k]
  next
}
/^ *not ok [0-9]+/ {
  d = depth($0); where = ""
  for (k = 0; k < d; k++) where = where (k ? " > " : "") path[k]
  desc = $0; sub(/^ *not ok [0-9]+ - /, "", desc)
  print "  not ok: " (where == "" ? desc : where " > " desc)
  # a parent's failure repeats its children's; the assertion's own block is what says why
  block = (desc !~ /# time=/ || d == 0); shown = 0
  next
}
block && /^ *---$/ { inblock = 1; match($0, /^ */); base = RLENGTH + 1; next }
block && inblock && /^ *\.\.\.$/ { inblock = 0; block = 0; next }
block && inblock {
  line = substr($0, base)
  if (line ~ /^[A-Za-z]+:/) { key = line; sub(/:.*/, "", key) }
  # where the test is and what tap ran are in the log; what was found, wanted or thrown is kept
  if (key ~ /^(source|stack|args|command|stdio|cwd|externalID|env|compare)$/ || shown >= 30) next
  print "      " line; shown++
}
