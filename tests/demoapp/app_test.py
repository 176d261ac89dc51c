#!/usr/bin/env python3
"""The OpenFeature demo app with the real SDK (no cluster): documents made by the operator's own
code (fro-flagdoc-gen: rollout::FlagDocument) go through hack/kubelet-mirror.py into a directory
the way kubelet swaps a ConfigMap volume; the app reads it through @openfeature/server-sdk and the
flagd provider in in-process mode, configured only by FLAGD_RESOLVER and
FLAGD_OFFLINE_FLAG_SOURCE_PATH. At 10%, 50% and 100% of 10,000 users: the share the SDK serves is
within 1.5 percentage points, the 10% users are among the 50% users, and the time from the file
swap to the app serving the new revision is printed.
  python3 app_test.py --gen FRO_FLAGDOC_GEN --mirror hack/kubelet-mirror.py --app demo/openfeature-app/app.js \
      --install hack/install-demo-app.sh"""
import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from demoapp_support import get, start_app, wait_for

USERS = 10000
FLAG = "checkout"
OTHER = "search"  # held at 30% throughout: another flag's users are bucketed on its own name


def main():
    ap = argparse.ArgumentParser()
    for a in ("--gen", "--mirror", "--app", "--install"):
        ap.add_argument(a, required=True)
    a = ap.parse_args()
    failures = []

    def check(ok, msg):
        print(("ok    " if ok else "FAIL  ") + msg, flush=True)
        if not ok:
            failures.append(msg)

    node_modules = subprocess.run([a.install], check=True, capture_output=True, text=True).stdout.strip()
    tmp = tempfile.mkdtemp(prefix="demoapp-test-")
    vol, src = os.path.join(tmp, "vol"), os.path.join(tmp, "cm.json")

    def write_doc(percent, revision):
        out = subprocess.run([a.gen, "--name", "shop-flags", "--namespace", "shop", "--rollout", "shop/checkout",
                              "--revision", str(revision), f"{FLAG}={percent}", f"{OTHER}=30"],
                             check=True, capture_output=True, text=True).stdout
        with open(src + ".tmp", "w", encoding="utf-8") as fh:
            fh.write(out)
        os.replace(src + ".tmp", src)

    def data_target():
        p = os.path.join(vol, "..data")
        return os.readlink(p) if os.path.islink(p) else None

    write_doc(10, 1)
    mirror = subprocess.Popen([sys.executable, a.mirror, "--configmap", "shop-flags", "--namespace", "shop",
                               "--dir", vol, "--delay", "0", "--source-file", src, "--poll-interval", "0.01"],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "mirror.log"), "w"))
    flag_file = os.path.join(vol, "flags.flagd.json")
    wait_for(lambda: os.path.exists(flag_file), 10, "the mirrored flag file")

    env = dict(os.environ, NODE_PATH=node_modules, FLAGD_RESOLVER="in-process", FLAGD_OFFLINE_FLAG_SOURCE_PATH=flag_file)
    app, ports, log_lines = start_app(a.app, env, USERS)
    try:
        wait_for(lambda: ports, 20, "the app's first log line")
        metrics_url = f"http://127.0.0.1:{ports['metrics']}/metrics"
        control = f"http://127.0.0.1:{ports['control']}"

        def served_revision():
            _, text = get(metrics_url)
            m = re.search(r"^demo_flag_document_revision (\S+)$", text, re.M)
            return float(m.group(1)) if m else None

        def users(flag):
            status, body = get(f"{control}/users?flag={flag}")
            assert status == 200, f"/users?flag={flag}: {status} {body}"
            return json.loads(body)

        wait_for(lambda: served_revision() == 1, 30, "the app to serve revision 1")
        latencies = []
        sets = {}
        for step, (percent, revision) in enumerate([(10, 1), (50, 2), (100, 3)]):
            if step > 0:
                before = data_target()
                write_doc(percent, revision)
                wait_for(lambda: data_target() not in (None, before), 10, f"the mirror's swap to revision {revision}")
                swapped = time.monotonic()
                wait_for(lambda: served_revision() == revision, 30, f"the app to serve revision {revision}")
                latencies.append(time.monotonic() - swapped)
                print(f"      file swap -> app serving {percent}%: {latencies[-1]:.2f} s", flush=True)
            u = users(FLAG)
            share = 100.0 * u["count"] / USERS
            sets[percent] = set(u["users"])
            check(u["revision"] == revision, f"{percent}%: /users answered from revision {u['revision']} (want {revision})")
            check(abs(share - percent) <= 1.5, f"{percent}%: the SDK serves {FLAG} to {u['count']} of {USERS} users = {share:.2f}% (within 1.5 points)")
            o = users(OTHER)
            check(abs(100.0 * o["count"] / USERS - 30) <= 1.5, f"{percent}%: {OTHER} stays at {o['count']} of {USERS} users (30%)")
            _, text = get(metrics_url)
            check(f'demo_flag_percent{{flag="{FLAG}"}} {percent}' in text, f"{percent}%: demo_flag_percent{{flag=\"{FLAG}\"}} {percent}")
            m = wait_for(lambda: re.search(rf'^demo_users_with_flag{{flag="{FLAG}"}} {u["count"]}$', get(metrics_url)[1], re.M), 30,
                         "demo_users_with_flag to match /users")
            check(bool(m), f"{percent}%: demo_users_with_flag{{flag=\"{FLAG}\"}} {u['count']}")
        check(sets[10] <= sets[50], f"the {len(sets[10])} users at 10% are a subset of the {len(sets[50])} users at 50% "
              f"({len(sets[10] - sets[50])} missing)")
        check(sets[50] <= sets[100] and len(sets[100]) == USERS, "everyone has it at 100%")
        check(len(sets[10] & set(users(OTHER)["users"])) < len(sets[10]), f"{FLAG} and {OTHER} bucket users differently")
        status, body = get(f"{control}/users?flag=nope")
        check(status == 404, f"/users?flag=nope is 404 ({status} {body.strip()})")
        _, text = get(metrics_url)
        check(re.search(r'^http_requests_total\{code="200",flag="none"\} \d+', text, re.M) is not None, "http_requests_total is exported")
        check(re.search(rf'^demo_flag_requests_total{{flag="{FLAG}",code="200"}} \d+', text, re.M) is not None,
              "demo_flag_requests_total counts requests of users who have the flag")
        check(any("serving flag document revision 3" in line for line in log_lines), "the app logs the new revision")
        print("file swap -> served (provider polls the file with fs.watchFile, ~5 s): " +
              ", ".join(f"{x:.2f} s" for x in latencies), flush=True)
    finally:
        app.send_signal(signal.SIGTERM)
        try:
            rc = app.wait(timeout=10)
        except subprocess.TimeoutExpired:
            app.kill()
            rc = "hung"
        mirror.send_signal(signal.SIGTERM)
        mrc = mirror.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    check(rc == 0, f"the app exits 0 on SIGTERM (got {rc})")
    check(mrc == 0, f"the mirror exits 0 on SIGTERM (got {mrc})")
    if failures:
        print("\n".join(log_lines[-30:]))
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
