#!/usr/bin/env python3
"""Every value of the chart's values.yaml is in the README's values table, with its default, and
the table names no value that does not exist.

  values_doc_check.py VALUES_YAML README_MD

values.yaml is read by indentation (two spaces a level; this chart's file keeps to that), so no YAML
library is needed. A value is documented by a row for itself or for a map above it (`resources`
documents resources.requests.cpu). A row for a scalar must show its default as `literal`."""
import re
import sys

values_path, readme_path = sys.argv[1:3]
leaves, maps = {}, set()
stack = []  # (indent, key)
lines = open(values_path).read().splitlines()
for i, line in enumerate(lines):
    if not line.strip() or line.lstrip().startswith("#"):
        continue
    m = re.match(r"^( *)([A-Za-z0-9_]+):(.*)$", line)
    if not m:
        continue  # list items and continuation lines belong to the key above
    indent, key, rest = len(m.group(1)), m.group(2), m.group(3).strip()
    while stack and stack[-1][0] >= indent:
        stack.pop()
    path = ".".join([k for _, k in stack] + [key])
    stack.append((indent, key))
    rest = re.sub(r"\s+#.*$", "", rest)
    if rest:
        leaves[path] = rest
    else:
        # A map, unless nothing deeper follows (then an empty value).
        nxt = next((l for l in lines[i + 1:] if l.strip() and not l.lstrip().startswith("#")), "")
        if len(nxt) - len(nxt.lstrip()) > indent:
            maps.add(path)
        else:
            leaves[path] = ""

rows = {}
for line in open(readme_path).read().splitlines():
    m = re.match(r"^\| `([A-Za-z0-9_.]+)` \| (.*?) \| (.*) \|$", line)
    if m:
        rows[m.group(1)] = m.group(2)

failures = 0
for path, default in leaves.items():
    parts = path.split(".")
    ancestors = [".".join(parts[:n]) for n in range(len(parts) - 1, 0, -1)]
    if path in rows:
        want = "`%s`" % default
        if rows[path] != want:
            print("FAIL: README values table: %s default is %s, values.yaml has %s" % (path, rows[path], want))
            failures += 1
    elif not any(a in rows for a in ancestors):
        print("FAIL: README values table has no row for %s" % path)
        failures += 1
for path in rows:
    if path not in leaves and path not in maps:
        print("FAIL: README values table documents %s, which values.yaml does not have" % path)
        failures += 1
print("%s: %d values, %d rows in the README table, %d failure(s)" % ("ok" if not failures else "FAIL", len(leaves), len(rows), failures))
sys.exit(1 if failures else 0)
