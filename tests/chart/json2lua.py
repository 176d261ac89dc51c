#!/usr/bin/env python3
"""Reads one Kubernetes object as JSON on stdin and prints a Lua chunk that sets the global `obj`
to it, the way Argo CD hands a resource to a health script: objects and arrays become tables
(arrays 1-based), JSON null is left out, and every number is a float (Argo CD's Lua numbers are
float64), so a script that prints 3.0 instead of 3 is caught."""
import json
import sys


def lua(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(float(v))
    if isinstance(v, str):
        # Three-digit decimal escapes for all but plain printable ASCII: valid in Lua 5.1 and 5.4.
        safe = " .,:;/_-+()[]%<>=!?@#'&*^~|{}$`"
        return "\"" + "".join(ch if ch.isascii() and (ch.isalnum() or ch in safe)
                               else "".join("\\%03d" % b for b in ch.encode("utf-8")) for ch in v) + "\""
    if isinstance(v, list):
        return "{" + ", ".join(lua(x) for x in v if x is not None) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("[%s] = %s" % (lua(k), lua(x)) for k, x in v.items() if x is not None) + "}"
    raise TypeError("unexpected JSON value %r" % (v,))


obj = json.load(sys.stdin)
meta = obj.get("metadata", {})
if meta.get("annotations") == {}:
    del meta["annotations"]  # added by `kubectl annotate --local` (the YAML -> JSON conversion)
print("obj = " + lua(obj))
