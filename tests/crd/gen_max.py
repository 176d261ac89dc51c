#!/usr/bin/env python3
"""Prints (JSON) a valid FeatureRollout at the schema's bounds: 32 targets of 16 containers, 64 flags
with 63-character names, 120-character env vars and 1024-character descriptions, 32 gates with
4096-character queries, 16 phases of 16 steps naming all 32 gates and 60 other flags each.
crd_test.sh sends it to the API server to show that the CEL rules stay within their runtime cost
budget on the largest documents the schema admits (the static estimate is checked when the CRD
is applied). With the argument `defects`, the last phase also enables an undeclared flag and
names an undeclared gate, and the last flag reuses an env var, so that the messages computed for
those rules (messageExpression) are evaluated at the same size."""
import json
import sys


def name(prefix, i):
    return f"{prefix}-{i:02d}-".ljust(63, "x")


flags = [{"name": name("flag", i), "envVar": f"FLAG_{i:02d}_".ljust(120, "X"), "default": False,
          "description": "d" * 1024} for i in range(64)]
gates = [{"name": name("gate", i), "query": "q" * 4096, "warning": {"above": 1, "below": 0},
          "critical": {"above": 2}, "onNoData": "hold"} for i in range(32)]
phases = []
for p in range(16):
    own = [f["name"] for k, f in enumerate(flags) if p * 4 <= k < p * 4 + 4]
    others = [f["name"] for k, f in enumerate(flags) if not p * 4 <= k < p * 4 + 4]
    phases.append({"name": name("phase", p), "enable": own, "disable": others,
                   "steps": [{"percent": 1 + s * 6, "pause": "1h"} for s in range(16)],
                   "gates": [g["name"] for g in gates],
                   "onFailure": {"disable": own, "enable": others}})
doc = {
    "apiVersion": "rollouts.featureflags.dev/v1alpha1",
    "kind": "FeatureRollout",
    "metadata": {"name": "max"},
    "spec": {
        "targets": [{"kind": "Deployment", "name": f"web-{i:02d}", "containers": [f"c{j:02d}" for j in range(16)]}
                    for i in range(32)],
        "flags": flags,
        "prometheus": {"address": "https://prometheus.monitoring.svc:9090", "timeout": "5s"},
        "analysis": {"interval": "1m", "gates": gates},
        "phases": phases,
    },
}
if sys.argv[1:] == ["defects"]:
    doc["metadata"]["name"] = "max-defects"
    phases[15]["enable"][3] = "undeclared-flag"
    phases[15]["gates"][31] = "undeclared-gate"
    flags[63]["envVar"] = flags[62]["envVar"]
print(json.dumps(doc))
