#!/usr/bin/env python3
"""Runs every PromQL expression of a Grafana dashboard against a Prometheus; each must return data.

  check_queries.py DASHBOARD_JSON PROMETHEUS_URL METRICS_TXT JOB NAMESPACE ROLLOUT

Two passes over every panel target (rows' nested panels included): the template variables as the
all-matching regex .* (what "All" selects: the dashboard's allValue), then as this test's job,
namespace and rollout (so the data is the test operator's, not another target's). $__rate_interval
and the other Grafana interval variables become 1m. A target passes when the instant query succeeds
with a non-empty result holding at least one number that is not NaN. The query variables
(label_values(SELECTOR, LABEL)) must return values through /api/v1/label/LABEL/values, as Grafana asks.
Every metric name (fro_*, process_*) a query uses must be on the operator's /metrics (METRICS_TXT).
Standard library only."""
import json
import math
import re
import sys
import urllib.parse
import urllib.request

dash_path, prom, metrics_path, job, ns, rollout = sys.argv[1:7]
dash = json.load(open(dash_path))
failures = []


def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))


def substitute(expr, values):
    for k in ("__rate_interval", "__interval", "__range"):
        expr = expr.replace("${%s}" % k, "1m").replace("$" + k, "1m")
    for k, v in sorted(values.items(), key=lambda kv: -len(kv[0])):
        expr = expr.replace("${%s}" % k, v).replace("$" + k, v)
    left = re.findall(r"\$\{?\w+", expr)
    if left:
        raise ValueError("unknown template variables %s" % left)
    return expr


def get(path, params):
    url = prom.rstrip("/") + path + "?" + urllib.parse.urlencode(params, doseq=True)
    with urllib.request.urlopen(url, timeout=10) as r:
        body = json.load(r)
    if body.get("status") != "success":
        raise RuntimeError(body)
    return body["data"]


def numbers(data):
    if data["resultType"] == "scalar":
        return [float(data["result"][1])]
    out = []
    for s in data["result"]:
        if "value" in s:
            out.append(float(s["value"][1]))
        out += [float(v[1]) for v in s.get("values", [])]
    return out


variables = [v["name"] for v in dash["templating"]["list"] if v["type"] == "query"]
passes = {
    "all (.*)": {v: ".*" for v in variables},
    "this test (job=%s namespace=%s rollout=%s)" % (job, ns, rollout):
        {"job": job, "instance": ".*", "namespace": ns, "rollout": rollout},
}

exported = set()
for line in open(metrics_path):
    m = re.match(r"^# TYPE (\S+) (\S+)", line)
    if m:
        name, kind = m.groups()
        exported.add(name)
        if kind == "histogram":
            exported |= {name + "_bucket", name + "_sum", name + "_count"}
        if kind == "summary":
            exported |= {name + "_sum", name + "_count"}

targets = []
for p in panels(dash["panels"]):
    for t in p.get("targets", []):
        targets.append((p["title"], t["refId"], t["expr"]))
if not targets:
    failures.append("the dashboard has no panel targets")

used = set()
for title, ref, expr in targets:
    used |= set(re.findall(r"\b((?:fro|process)_[a-z0-9_]+)\b", expr))
for name in sorted(used - exported):
    failures.append("metric %s is used by the dashboard but not on the operator's /metrics" % name)
print("ok: %d metric names used by the dashboard, all on the operator's /metrics" % len(used) if not used - exported
      else "FAIL: %d of %d metric names are not exported" % (len(used - exported), len(used)))

for pname, values in passes.items():
    good = 0
    for title, ref, expr in targets:
        try:
            q = substitute(expr, values)
            data = get("/api/v1/query", {"query": q})
            nums = numbers(data)
            real = [x for x in nums if not math.isnan(x)]
            if not data["result"]:
                failures.append("[%s] %s/%s: empty result: %s" % (pname, title, ref, q))
            elif not real:
                failures.append("[%s] %s/%s: only NaN (%d series): %s" % (pname, title, ref, len(nums), q))
            else:
                good += 1
        except Exception as e:  # noqa: BLE001 - report and go on
            failures.append("[%s] %s/%s: %s" % (pname, title, ref, e))
    print("%s: %d of %d panel queries returned data (%s)" % ("ok" if good == len(targets) else "FAIL", good, len(targets), pname))

    vgood = 0
    for v in dash["templating"]["list"]:
        if v["type"] != "query":
            continue
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", v["query"] if isinstance(v["query"], str) else v["query"]["query"])
        if not m:
            failures.append("variable %s: not label_values(SELECTOR, LABEL): %s" % (v["name"], v["query"]))
            continue
        try:
            sel = substitute(m.group(1), values)
            vals = get("/api/v1/label/%s/values" % m.group(2), {"match[]": sel})
            if vals:
                vgood += 1
            else:
                failures.append("[%s] variable %s: no values for %s" % (pname, v["name"], sel))
        except Exception as e:  # noqa: BLE001
            failures.append("[%s] variable %s: %s" % (pname, v["name"], e))
    print("%s: %d of %d variables have values (%s)" % ("ok" if vgood == len(variables) else "FAIL", vgood, len(variables), pname))

for f in failures:
    print("FAIL: " + f, file=sys.stderr)
sys.exit(1 if failures else 0)
