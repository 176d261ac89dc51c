#!/usr/bin/env python3
"""hack/kubelet-mirror.py against the local control plane, through kubectl (needs `hack/cluster.sh
up` and `eval "$(hack/cluster.sh env)"`): a ConfigMap and a Deployment in a namespace of its own;
the mirror follows the ConfigMap after its delay only while the Deployment's pod template mounts
it in the container, and empties the directory when the mount goes.
  python3 mirror_integration_test.py hack/kubelet-mirror.py"""
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

from demoapp_support import kubectl, wait_for

DELAY = 1.0


def main():
    mirror_py = sys.argv[1]
    if not os.environ.get("KUBECONFIG"):
        print('KUBECONFIG is not set: run hack/cluster.sh up and eval "$(hack/cluster.sh env)"')
        return 1
    ns = "mirror-it-" + secrets.token_hex(3)
    tmp = tempfile.mkdtemp(prefix="mirror-it-")
    vol = os.path.join(tmp, "vol")
    failures = []

    def check(ok, msg):
        print(("ok    " if ok else "FAIL  ") + msg, flush=True)
        if not ok:
            failures.append(msg)

    def cm(value):
        return json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "flags", "namespace": ns},
                           "data": {"flags.flagd.json": value, "FLAG_X_PERCENT": value}})

    def deployment(mounted):
        c = {"name": "app", "image": "registry.invalid/app:1"}
        spec = {"containers": [c]}
        if mounted:
            c["volumeMounts"] = [{"name": "feature-flags", "mountPath": "/etc/feature-flags", "readOnly": True}]
            spec["volumes"] = [{"name": "feature-flags", "configMap": {"name": "flags", "optional": True}}]
        return json.dumps({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "app", "namespace": ns},
                           "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "app"}},
                                    "template": {"metadata": {"labels": {"app": "app"}}, "spec": spec}}})

    def content():
        try:
            with open(os.path.join(vol, "flags.flagd.json"), encoding="utf-8") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    kubectl("create", "namespace", ns)
    mirror = None
    try:
        kubectl("apply", "-f", "-", stdin=cm("1"))
        kubectl("apply", "-f", "-", stdin=deployment(False))
        mirror = subprocess.Popen([sys.executable, mirror_py, "--namespace", ns, "--configmap", "flags", "--dir", vol,
                                   "--delay", str(DELAY), "--workload", "Deployment/app", "--container", "app"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines, errs = [], []
        threading.Thread(target=lambda: [lines.append(l.strip()) for l in mirror.stdout], daemon=True).start()
        threading.Thread(target=lambda: [errs.append(l.rstrip()) for l in mirror.stderr], daemon=True).start()

        wait_for(lambda: "mountPath -" in lines, 30, "the mirror to report that the Deployment does not mount it")
        time.sleep(DELAY + 0.5)  # the absence of a write is what is asserted: give it the delay to (not) happen
        check(not os.path.isdir(vol) or os.listdir(vol) == [], "without the mount the directory holds nothing")

        kubectl("apply", "-f", "-", stdin=deployment(True))
        t0 = time.monotonic()
        wait_for(lambda: "mountPath /etc/feature-flags" in lines, 30, "the mirror to report the mount")
        wait_for(lambda: content() == "1", 30, "the mirrored file after the mount")
        check(True, f"mount added -> file there after {time.monotonic() - t0:.2f} s (delay {DELAY} s)")

        for v in ("2", "3"):
            kubectl("apply", "-f", "-", stdin=cm(v))
            t0 = time.monotonic()
            wait_for(lambda: content() == v, 30, f"value {v}")
            lag = time.monotonic() - t0
            check(DELAY - 0.05 <= lag < DELAY + 3, f"ConfigMap write -> mirrored {v!r} after {lag:.2f} s (delay {DELAY} s)")
            wait_for(lambda: len([n for n in os.listdir(vol) if n.startswith("..2")]) == 1, 5,
                     "the previous timestamped directory to be removed")
            check(os.readlink(os.path.join(vol, "flags.flagd.json")) == "..data/flags.flagd.json", "the key is a ..data symlink")

        kubectl("apply", "-f", "-", stdin=deployment(False))
        wait_for(lambda: lines[-1] == "mountPath -", 30, "the mirror to see the mount removed")
        wait_for(lambda: os.listdir(vol) == [], 30, "the directory to empty")
        check(True, "mount removed -> the directory holds nothing")

        kubectl("apply", "-f", "-", stdin=deployment(True))
        wait_for(lambda: content() == "3", 30, "the file back with the mount")
        kubectl("-n", ns, "delete", "configmap", "flags")
        wait_for(lambda: content() is None and os.path.islink(os.path.join(vol, "..data")), 30,
                 "a deleted ConfigMap to be an empty (optional) volume")
        check(True, "ConfigMap deleted -> an empty volume")
    finally:
        if mirror:
            mirror.send_signal(signal.SIGTERM)
            rc = mirror.wait(timeout=10)
            check(rc == 0, f"the mirror exits 0 on SIGTERM (got {rc})")
            if failures:
                print("\n".join(errs[-20:]))
        subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false"], capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{len(failures)} failed" if failures else "all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
