#!/usr/bin/env python3
"""Helper of hack/bench/scale.sh (Python 3 standard library only). Manifests, states, free ports
and /proc readings come from cold_start.py; this file adds:

  scale.py wait-ready --url URL --since EPOCH --timeout S
      polls URL every 20 ms until it answers 200; prints the seconds since EPOCH (exit 1 on timeout)
  scale.py opwrites FILE
      prints the operator's write count in a /metrics snapshot (fro_kube_requests_total, write verbs)
  scale.py report --count N --title T --mode M ... (see scale.sh for the files it is given)
      prints the table of figures and one "JSON {...}" line
"""
import argparse
import collections
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cold_start  # noqa: E402  (same directory: its metric parsing and write classification)

WRITE_VERBS = cold_start.WRITE_VERBS


def wait_ready(a):
    deadline = time.time() + a.timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(a.url, timeout=1) as r:
                if r.status == 200:
                    print(f"{time.time() - a.since:.3f}")
                    return
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.02)
    sys.exit(1)


def op_writes(path, failed_only=False):
    """Write requests in a snapshot of the operator's /metrics, by verb (only non-2xx answers by
    "VERB code" with failed_only)."""
    c = collections.Counter()
    if path and os.path.exists(path):
        for labels, v in cold_start.parse_metric(path, "fro_kube_requests_total"):
            verb = labels.get("verb", "").upper()
            code = labels.get("code", "")
            if verb not in WRITE_VERBS:
                continue
            if not failed_only:
                c[verb] += v
            elif not code.startswith("2"):
                c[f"{verb} {code}"] += v
    return c


def failed_delta(before, after):
    """Non-2xx operator writes between two snapshots (before may be empty: a new process)."""
    d = op_writes(after, True)
    d.subtract(op_writes(before, True))
    return collections.Counter({k: v for k, v in d.items() if v})


def opwrites(a):
    print(int(sum(op_writes(a.file).values())))


def api_delta(before, after):
    """apiserver_request_total write deltas by (group, resource, verb)."""
    if not (before and after and os.path.exists(before) and os.path.exists(after)):
        return collections.Counter()
    b, e = cold_start.apiserver_writes(before), cold_start.apiserver_writes(after)
    d = collections.Counter()
    for k in set(b) | set(e):
        v = e.get(k, 0) - b.get(k, 0)
        if v:
            d[k] = v
    return d


def by_owner(delta):
    """ours (FeatureRollouts, ConfigMaps, Deployment apply/patch) / events / others."""
    c = collections.Counter()
    for (g, res, verb), v in delta.items():
        c[cold_start.owner(g, res, verb)] += v
    return c


def by_label(delta, our_events):
    rows = collections.OrderedDict()
    for (g, res, verb), v in sorted(delta.items(), key=lambda kv: -kv[1]):
        lab = cold_start.label(g, res, verb)
        who = cold_start.owner(g, res, verb)
        r = rows.setdefault(lab, {"ours": 0, "others": 0, "total": 0})
        r["total"] += v
        if who == "ours":
            r["ours"] += v
        elif who == "others":
            r["others"] += v
    if "events" in rows:
        r = rows["events"]
        r["ours"] = min(our_events, r["total"])
        r["others"] = r["total"] - r["ours"]
    return rows


def proc_fig(s):
    cpu, ut, st, hwm, rss = ((s or "").split() + ["0"] * 5)[:5]
    return float(cpu), float(ut), float(st), int(hwm), int(rss)


def load_json_line(path):
    if not path or not os.path.exists(path):
        return {}
    with open(path, errors="replace") as f:
        for line in f:
            if line.startswith("JSON "):
                return json.loads(line[5:])
    return {}


def fmt_verbs(c):
    return " ".join(f"{k}:{int(v)}" for k, v in c.most_common()) or "-"


def report(a):
    wl = load_json_line(a.write_limit)
    par, seq = wl.get("parallel", {}), wl.get("sequential", {})
    limit = float(par.get("writes_per_s", 0) or 0)

    # Cold sync.
    elapsed = float(a.elapsed)
    cold_delta = api_delta(a.api_before, a.api_cold)
    our_events = 0
    if a.events and os.path.exists(a.events):
        with open(a.events) as f:
            our_events = sum(1 for line in f if cold_start.OPERATOR_COMPONENT in line.strip().split("|"))
    rows = by_label(cold_delta, our_events)
    tot = collections.Counter()
    for r in rows.values():
        for k in ("ours", "others", "total"):
            tot[k] += r[k]
    opw_cold = op_writes(a.op_cold)
    op_cold = int(sum(opw_cold.values()))
    cpu, ut, st, hwm, rss_cold = proc_fig(a.proc_cold)

    # At rest.
    rest_s = float(a.rest_seconds or 0)
    op_rest = int(sum(op_writes(a.op_rest).values())) - op_cold if a.op_rest else 0
    rest_owner = by_owner(api_delta(a.api_cold, a.api_rest))
    cpu_rest, _, _, hwm_rest, rss_rest = proc_fig(a.proc_rest)

    # Reaction.
    rx = load_json_line(a.reaction)
    op_rx = (int(sum(op_writes(a.op_reaction).values())) - op_cold - op_rest) if a.op_reaction else 0
    cpu_rx, _, _, hwm_rx, _ = proc_fig(a.proc_reaction)

    # Restart.
    restart_op = op_writes(a.op_restart)
    restart_owner = by_owner(api_delta(a.api_restart_before, a.api_restart_after))

    peak = max(hwm, hwm_rest, hwm_rx)
    mib = lambda kib: kib / 1024  # noqa: E731
    share = lambda w: (100.0 * w / elapsed / limit) if elapsed > 0 and limit > 0 else 0.0  # noqa: E731

    print(f"== scale: {a.title}")
    print("API server's own write limit (ConfigMap creates, no client-side limit):")
    print(f"  {int(par.get('clients', 0))} parallel clients: {par.get('creates', 0)} creates, {limit:.0f} writes/s, "
          f"p50 {par.get('p50_ms', 0):.1f} ms, p99 {par.get('p99_ms', 0):.1f} ms, {par.get('failed', 0)} failed")
    print(f"  1 sequential client: {seq.get('creates', 0)} creates, {seq.get('writes_per_s', 0):.0f} writes/s, "
          f"p50 {seq.get('p50_ms', 0):.1f} ms, p99 {seq.get('p99_ms', 0):.1f} ms")
    print(f"cold sync, operator start -> all {a.count} Succeeded: {elapsed:.1f} s")
    print(f"  API writes during the cold sync (apiserver_request_total delta):")
    print(f"    {'resource':44s} {'ours':>8s} {'others':>8s} {'total':>8s}")
    for lab, r in sorted(rows.items(), key=lambda kv: (-kv[1]["ours"], -kv[1]["total"])):
        print(f"    {lab:44s} {int(r['ours']):8d} {int(r['others']):8d} {int(r['total']):8d}")
    print(f"    {'all':44s} {int(tot['ours']):8d} {int(tot['others']):8d} {int(tot['total']):8d}")
    print(f"  operator's own write count (fro_kube_requests_total): {op_cold} ({fmt_verbs(opw_cold)}); "
          f"non-2xx: {fmt_verbs(failed_delta('', a.op_cold))}")
    print(f"  our writes/s: {op_cold / elapsed if elapsed else 0:.1f} = {share(op_cold):.1f}% of the measured limit; "
          f"all writes/s: {tot['total'] / elapsed if elapsed else 0:.1f} = {share(tot['total']):.1f}%")
    print(f"  operator CPU: {cpu:.1f} s (user {ut:.1f}, system {st:.1f}); peak RSS (VmHWM) {mib(hwm):.1f} MiB, "
          f"RSS at the end of the sync {mib(rss_cold):.1f} MiB")
    print(f"at rest, {rest_s:.0f} s after all Succeeded: operator writes {op_rest} "
          f"= {op_rest * 60 / rest_s if rest_s else 0:.1f}/min (non-2xx: {fmt_verbs(failed_delta(a.op_cold, a.op_rest))}); API server: ours {int(rest_owner['ours'])}, "
          f"events {int(rest_owner['events'])}, others {int(rest_owner['others'])}; "
          f"CPU {cpu_rest - cpu:.2f} s; RSS at rest {mib(rss_rest):.1f} MiB")
    print(f"reaction, {rx.get('edits', 0)} edits {rx.get('interval_ms', 0)} ms apart (edit sent -> changed ConfigMap "
          f"seen by a watch): {rx.get('seen', 0)} seen, p50 {rx.get('p50_ms', 0):.1f} ms, p90 {rx.get('p90_ms', 0):.1f} ms, "
          f"p99 {rx.get('p99_ms', 0):.1f} ms, max {rx.get('max_ms', 0):.1f} ms; operator writes {op_rx} "
          f"(non-2xx: {fmt_verbs(failed_delta(a.op_rest, a.op_reaction))}), CPU {cpu_rx - cpu_rest:.2f} s, "
          f"all Succeeded again {a.resettle or '-'} s after the last edit")
    print(f"restart: SIGTERM -> exit {a.stop_s or '-'} s; start -> /readyz 200: {a.ready_s or '-'} s; writes in the "
          f"first {a.restart_window or '-'} s: operator {int(sum(restart_op.values()))} ({fmt_verbs(restart_op)}; "
          f"non-2xx: {fmt_verbs(failed_delta('', a.op_restart))}), "
          f"API server ours {int(restart_owner['ours'])}, events {int(restart_owner['events'])}, "
          f"others {int(restart_owner['others'])}")
    print(f"memory: peak RSS {mib(peak):.1f} MiB, at rest {mib(rss_rest):.1f} MiB "
          f"(RSS at rest / N: {mib(rss_rest) * 1024 / a.count if a.count else 0:.1f} KiB per rollout with its Deployment "
          f"and ConfigMap, the process's base included)")

    print("JSON " + json.dumps({
        "title": a.title, "count": a.count, "mode": a.mode,
        "write_limit": {"parallel": par, "sequential": seq},
        "cold_sync_s": elapsed,
        "cold_writes": {lab: {k: int(r[k]) for k in ("ours", "others", "total")} for lab, r in rows.items()},
        "cold_writes_total": {k: int(v) for k, v in tot.items()},
        "cold_operator_writes": op_cold,
        "cold_operator_writes_failed": {k: int(v) for k, v in failed_delta("", a.op_cold).items()}, "cold_operator_writes_by_verb": {k: int(v) for k, v in opw_cold.items()},
        "cold_our_writes_per_s": round(op_cold / elapsed, 2) if elapsed else 0,
        "cold_share_of_limit_pct": round(share(op_cold), 2),
        "cold_all_share_of_limit_pct": round(share(tot["total"]), 2),
        "cpu_s": cpu, "peak_rss_mib": round(mib(peak), 1), "rss_cold_end_mib": round(mib(rss_cold), 1),
        "rest_s": rest_s, "rest_operator_writes": op_rest,
        "rest_operator_writes_per_min": round(op_rest * 60 / rest_s, 2) if rest_s else 0,
        "rest_api_writes": {k: int(v) for k, v in rest_owner.items()},
        "rss_rest_mib": round(mib(rss_rest), 1),
        "reaction": rx, "reaction_operator_writes": op_rx, "reaction_resettle_s": float(a.resettle or 0),
        "restart_stop_s": float(a.stop_s or 0), "restart_ready_s": float(a.ready_s or 0),
        "restart_window_s": float(a.restart_window or 0),
        "restart_operator_writes": int(sum(restart_op.values())),
        "restart_operator_writes_failed": {k: int(v) for k, v in failed_delta("", a.op_restart).items()},
        "restart_api_writes": {k: int(v) for k, v in restart_owner.items()},
    }, sort_keys=True))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("wait-ready")
    w.add_argument("--url", required=True)
    w.add_argument("--since", type=float, required=True)
    w.add_argument("--timeout", type=float, default=60)
    w.set_defaults(fn=wait_ready)
    o = sub.add_parser("opwrites")
    o.add_argument("file")
    o.set_defaults(fn=opwrites)
    r = sub.add_parser("report")
    for opt in ("title", "mode", "write-limit", "elapsed", "api-before", "api-cold", "op-cold", "events", "proc-cold",
                "rest-seconds", "api-rest", "op-rest", "proc-rest", "reaction", "op-reaction", "proc-reaction",
                "resettle", "stop-s", "ready-s", "restart-window", "op-restart", "api-restart-before",
                "api-restart-after"):
        r.add_argument("--" + opt, default="")
    r.add_argument("--count", type=int, required=True)
    r.set_defaults(fn=report)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
