#!/usr/bin/env python3
"""Helper of hack/bench/cold-start.sh (Python 3 standard library only).

  cold_start.py manifest --kind deployments|rollouts --ns NS [--node NODE] --count N --restart-on R --file B
                         --allowance A [--pause P] [--shard I --shards K]
      prints a multi-document stream (JSON documents separated by ---) for kubectl create -f -
  cold_start.py states          reads `kubectl get featurerollouts -o jsonpath` lines (one state a
                                line) on stdin, prints "<succeeded> <total> <state=count ...>"
  cold_start.py deploy-ready N  reads `kubectl get deployments -o json` on stdin, prints how many
                                of them are fully rolled out (exit 0 when that is N)
  cold_start.py free-port       prints a free TCP port on 127.0.0.1
  cold_start.py proc PID        prints "<cpu seconds> <utime s> <stime s> <VmHWM KiB> <VmRSS KiB>"
  cold_start.py report --before F --after F --operator-metrics F --events F --replicasets N
                       --count N --elapsed S --proc "..." --log F --title T
      prints the figures (writes by resource: ours / others / total) and a JSON line
"""
import argparse
import collections
import json
import os
import re
import socket
import sys

WRITE_VERBS = {"POST", "PUT", "PATCH", "DELETE", "APPLY", "DELETECOLLECTION"}
OPERATOR_COMPONENT = "feature-rollout-operator"


def manifest(a):
    docs = []
    for i in range(a.count):
        if a.shards > 1 and i % a.shards != a.shard:
            continue
        name = f"app-{i:05d}"
        if a.kind == "deployments":
            docs.append({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": name, "namespace": a.ns},
                "spec": {
                    "replicas": 1 + i % 2,
                    "selector": {"matchLabels": {"app": name}},
                    "template": {
                        "metadata": {"labels": {"app": name}},
                        "spec": {
                            "nodeSelector": {"kubernetes.io/hostname": a.node} if a.node else None,
                            "containers": [{"name": "app", "image": "registry.invalid/app:1"}],
                        },
                    },
                },
            })
        else:
            delivery = {
                "file": {"enabled": a.file == "true"},
                "env": {"restartOn": a.restart_on},
            }
            if a.allowance:
                delivery["propagation"] = {"allowance": a.allowance}
            docs.append({
                "apiVersion": "rollouts.featureflags.dev/v1alpha1", "kind": "FeatureRollout",
                "metadata": {"name": name, "namespace": a.ns},
                "spec": {
                    "targets": [{"kind": "Deployment", "name": name}],
                    "flags": [{"name": "new-checkout", "envVar": "NEW_CHECKOUT"}],
                    "delivery": delivery,
                    "phases": [{
                        "name": "checkout",
                        "enable": ["new-checkout"],
                        "steps": [
                            {"percent": 10, "pause": a.pause},
                            {"percent": 50, "pause": a.pause},
                            {"percent": 100},
                        ],
                    }],
                },
            })
    for d in docs:
        tpl = d["spec"].get("template", {}).get("spec", {})
        if tpl.get("nodeSelector", 0) is None:
            del tpl["nodeSelector"]
    sys.stdout.write("".join("---\n" + json.dumps(d) + "\n" for d in docs))


def states(_a):
    c = collections.Counter()
    for line in sys.stdin:
        line = line.strip()
        if line:
            c[line] += 1
    # Rollouts without a status yet print nothing; the caller knows N.
    total = sum(c.values())
    rest = " ".join(f"{k}={v}" for k, v in sorted(c.items()))
    print(c.get("Succeeded", 0), total, rest or "-")


def deploy_ready(a):
    items = json.load(sys.stdin).get("items", [])
    ready = 0
    for d in items:
        spec, st = d.get("spec", {}), d.get("status", {})
        want = spec.get("replicas", 1)
        if (st.get("observedGeneration", 0) >= d["metadata"].get("generation", 1)
                and st.get("updatedReplicas", 0) == want and st.get("availableReplicas", 0) == want
                and st.get("replicas", 0) == want):
            ready += 1
    print(ready)
    sys.exit(0 if ready == a.n else 1)


def free_port(_a):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()


def proc(a):
    tck = os.sysconf("SC_CLK_TCK")
    with open(f"/proc/{a.pid}/stat") as f:
        stat = f.read()
    fields = stat[stat.rindex(")") + 2:].split()
    ut, st = int(fields[11]) / tck, int(fields[12]) / tck  # fields 14 and 15 of stat(5)
    hwm = rss = 0
    with open(f"/proc/{a.pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
            elif line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    print(f"{ut + st:.2f} {ut:.2f} {st:.2f} {hwm} {rss}")


LINE = re.compile(r'^(\w+)\{(.*)\}\s+(\S+)$')
LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


def parse_metric(path, name):
    out = []
    with open(path) as f:
        for line in f:
            if not line.startswith(name + "{"):
                continue
            m = LINE.match(line.strip())
            if not m or m.group(1) != name:
                continue
            out.append((dict(LABEL.findall(m.group(2))), float(m.group(3))))
    return out


def apiserver_writes(path):
    c = collections.Counter()
    for labels, v in parse_metric(path, "apiserver_request_total"):
        if labels.get("verb") not in WRITE_VERBS:
            continue
        res = labels.get("resource", "")
        if labels.get("subresource"):
            res += "/" + labels["subresource"]
        c[(labels.get("group", ""), res, labels["verb"])] += v
    return c


def owner(group, res, verb):
    """Who writes this in the benchmark: 'ours', 'events' (split by Event objects), 'others'."""
    base = res.split("/")[0]
    if base == "featurerollouts":
        return "ours"
    if base == "configmaps":
        return "ours"  # kube-root-ca.crt is created with the namespace, before the first snapshot
    if base == "deployments" and res == "deployments" and verb in ("PATCH", "APPLY"):
        return "ours"  # owner claim (JSON patch) and pod-template server-side apply
    if base == "events":
        return "events"
    return "others"


def label(group, res, verb):
    base = res.split("/")[0]
    if base == "featurerollouts":
        if res.endswith("/status"):
            return "featurerollouts/status"
        return "featurerollouts (finalizer, annotations)"
    if base == "deployments" and res == "deployments":
        return "deployments (apply, claim)" if verb in ("PATCH", "APPLY") else "deployments (kcm update)"
    if base == "events":
        return "events"
    return res if group in ("", "apps") else f"{res}.{group}"


def report(a):
    before, after = apiserver_writes(a.before), apiserver_writes(a.after)
    delta = collections.Counter()
    for k in set(before) | set(after):
        d = after.get(k, 0) - before.get(k, 0)
        if d:
            delta[k] = d

    # One line per Event object in the namespace: "<reportingComponent>|<source.component>".
    our_event_objs = 0
    if a.events and os.path.exists(a.events):
        with open(a.events) as f:
            our_event_objs = sum(1 for line in f if OPERATOR_COMPONENT in line.strip().split("|"))

    rows = collections.OrderedDict()
    for (group, res, verb), v in sorted(delta.items(), key=lambda kv: -kv[1]):
        lab = label(group, res, verb)
        who = owner(group, res, verb)
        r = rows.setdefault(lab, {"ours": 0, "others": 0, "total": 0, "verbs": collections.Counter()})
        r["total"] += v
        r["verbs"][verb] += v
        if who == "ours":
            r["ours"] += v
        elif who == "others":
            r["others"] += v
    if "events" in rows:
        r = rows["events"]
        r["ours"] = min(our_event_objs, r["total"])
        r["others"] = r["total"] - r["ours"]

    opw = collections.Counter()
    op_errors = collections.Counter()
    if a.operator_metrics and os.path.exists(a.operator_metrics):
        for labels, v in parse_metric(a.operator_metrics, "fro_kube_requests_total"):
            verb = labels.get("verb", "").upper()
            if verb in WRITE_VERBS:
                opw[verb] += v
                code = labels.get("code", "")
                if not code.startswith("2"):
                    op_errors[f"{verb} {code}"] += v

    rs_created = int(a.replicasets or 0)

    cpu, ut, st, hwm, rss = (a.proc.split() + ["0"] * 5)[:5]

    print(f"== cold start: {a.title}")
    print(f"elapsed, operator start -> all {a.count} Succeeded: {a.elapsed} s")
    print("API writes during the run (apiserver_request_total delta; verbs POST PUT PATCH DELETE APPLY):")
    print(f"  {'resource':44s} {'ours':>8s} {'others':>8s} {'total':>8s}  verbs")
    tot = collections.Counter()
    for lab, r in sorted(rows.items(), key=lambda kv: (-kv[1]["ours"], -kv[1]["total"])):
        verbs = " ".join(f"{k}:{int(v)}" for k, v in r["verbs"].most_common())
        print(f"  {lab:44s} {int(r['ours']):8d} {int(r['others']):8d} {int(r['total']):8d}  {verbs}")
        for k in ("ours", "others", "total"):
            tot[k] += r[k]
    print(f"  {'all':44s} {int(tot['ours']):8d} {int(tot['others']):8d} {int(tot['total']):8d}")
    print("  (ours: FeatureRollouts, ConfigMaps, Deployment apply/patch, and Events whose reportingComponent is "
          f"{OPERATOR_COMPONENT}; others: kube-controller-manager, scheduler, kwok, leases)")
    opsum = int(sum(opw.values()))
    verbs = " ".join(f"{k}:{int(v)}" for k, v in opw.most_common())
    print(f"operator's own count of its writes (fro_kube_requests_total): {opsum} ({verbs or 'not scraped'})"
          + (f"; non-2xx: " + ", ".join(f"{k}={int(v)}" for k, v in op_errors.most_common()) if op_errors else ""))
    print(f"ReplicaSets in the namespace: {rs_created} ({a.count} from the Deployments' creation, "
          f"{rs_created - a.count} created during the run = pod-template changes = restarts)")
    print(f"operator CPU: {float(cpu):.1f} s (user {float(ut):.1f}, system {float(st):.1f}); "
          f"peak RSS (VmHWM): {int(hwm) / 1024:.1f} MiB, RSS at the end {int(rss) / 1024:.1f} MiB")

    levels = collections.Counter()
    msgs = collections.Counter()
    if a.log and os.path.exists(a.log):
        with open(a.log, errors="replace") as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    levels["non-json"] += 1
                    continue
                lvl = str(rec.get("level", "?")).lower()
                levels[lvl] += 1
                if lvl in ("warn", "warning", "error"):
                    m = str(rec.get("msg", rec.get("message", "")))
                    msgs[f"{lvl}: {re.sub(r'[0-9]+', 'N', m)[:140]}"] += 1
    print("operator log records by level: " + (", ".join(f"{k}={v}" for k, v in levels.most_common()) or "none"))
    for m, n in msgs.most_common(8):
        print(f"  {n:6d} x {m}")

    print("JSON " + json.dumps({
        "title": a.title, "count": a.count, "elapsed_s": float(a.elapsed),
        "writes": {lab: {k: int(r[k]) for k in ("ours", "others", "total")} for lab, r in rows.items()},
        "writes_total": {k: int(v) for k, v in tot.items()},
        "operator_writes_self_count": opsum,
        "replicasets_created": rs_created - a.count,
        "cpu_s": float(cpu), "peak_rss_mib": round(int(hwm) / 1024, 1),
        "log_levels": dict(levels),
    }, sort_keys=True))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("manifest")
    m.add_argument("--kind", choices=["deployments", "rollouts"], required=True)
    m.add_argument("--ns", required=True)
    m.add_argument("--count", type=int, required=True)
    m.add_argument("--node", default="")
    m.add_argument("--restart-on", default="BooleanChange")
    m.add_argument("--file", default="true")
    m.add_argument("--allowance", default="")
    m.add_argument("--pause", default="1s")
    m.add_argument("--shard", type=int, default=0)
    m.add_argument("--shards", type=int, default=1)
    m.set_defaults(fn=manifest)
    sub.add_parser("states").set_defaults(fn=states)
    d = sub.add_parser("deploy-ready")
    d.add_argument("n", type=int)
    d.set_defaults(fn=deploy_ready)
    sub.add_parser("free-port").set_defaults(fn=free_port)
    pr = sub.add_parser("proc")
    pr.add_argument("pid")
    pr.set_defaults(fn=proc)
    r = sub.add_parser("report")
    for o in ("before", "after", "operator-metrics", "events", "replicasets", "elapsed", "proc", "log", "title"):
        r.add_argument("--" + o, default="")
    r.add_argument("--count", type=int, required=True)
    r.set_defaults(fn=report)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
