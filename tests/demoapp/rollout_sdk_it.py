#!/usr/bin/env python3
"""A three-step file-delivered rollout end to end on the local control plane, judged by a real
OpenFeature SDK (issue 12): the operator process mounts the rollout's ConfigMap into deploy/web,
hack/kubelet-mirror.py stands in for kubelet (kwok runs no containers) and projects it into a
directory while the pod template mounts it, and demo/openfeature-app evaluates 10,000 users through
@openfeature/server-sdk with the flagd provider in file mode, configured only by the env the
operator put on the pod template. Prometheus scrapes the app, and the rollout's exposure query
(min(demo_flag_document_revision)) holds each step until the app serves its revision.

Asserts at each step once it is active: the app serves the flag to P% of users (within 1.5
points), the users at 10% are among those at 50%, those among the users at 100%; the Deployment's
generation and pod template do not change after the mount (no restart per step).

Needs `hack/cluster.sh up` + `eval "$(hack/cluster.sh env)"` (KUBECONFIG, PROMETHEUS_URL,
PROMETHEUS_TARGETS_DIR) and the app's npm dependencies (hack/install-demo-app.sh)."""
import argparse
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from demoapp_support import get, kubectl, start_app, wait_for

USERS = 10000
FLAG = "checkout"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--operator", required=True)
    ap.add_argument("--mirror", required=True)
    ap.add_argument("--app", required=True)
    ap.add_argument("--install", required=True)
    a = ap.parse_args()
    for var in ("KUBECONFIG", "PROMETHEUS_URL", "PROMETHEUS_TARGETS_DIR"):
        if not os.environ.get(var):
            print(f"FAIL: {var} is not set (run hack/cluster.sh up and eval \"$(hack/cluster.sh env)\")")
            return 1
    node_path = subprocess.run([a.install], capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
    failures = []

    def check(ok, msg):
        print(("ok: " if ok else "FAIL: ") + msg, flush=True)
        if not ok:
            failures.append(msg)

    ns = "sdk-it-" + secrets.token_hex(3)
    work = tempfile.mkdtemp(prefix="fro-sdk-it-")
    vol = os.path.join(work, "volume")
    targets_file = os.path.join(os.environ["PROMETHEUS_TARGETS_DIR"], f"{ns}.json")
    procs = []
    app_log = []
    try:
        kubectl("apply", "--server-side", "-f",
                os.path.join(os.path.dirname(__file__), "../../crds/featurerollouts.rollouts.featureflags.dev.yaml"))
        kubectl("wait", "--for=condition=Established", "crd/featurerollouts.rollouts.featureflags.dev", "--timeout=30s")
        kubectl("create", "namespace", ns)
        kubectl("-n", ns, "apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web"},
            "spec": {"replicas": 2, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}},
                                  "spec": {"containers": [{"name": "app", "image": "registry.invalid/web:1"}]}}}}))

        metrics_port, probe_port = free_port(), free_port()
        op = subprocess.Popen([a.operator, "--kubeconfig", os.environ["KUBECONFIG"], "--watch-namespaces", ns,
                               "--default-prometheus-address", os.environ["PROMETHEUS_URL"],
                               "--metrics-bind-address", f"127.0.0.1:{metrics_port}",
                               "--health-probe-bind-address", f"127.0.0.1:{probe_port}", "--log-format", "text"],
                              stdout=open(os.path.join(work, "operator.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(op)
        wait_for(lambda: get(f"http://127.0.0.1:{probe_port}/readyz")[0] == 200, 30, "the operator to be ready")

        # The kubelet stand-in: projects the ConfigMap only while the pod template mounts it.
        mirror = subprocess.Popen([sys.executable, a.mirror, "--namespace", ns, "--configmap", "web-flags", "--dir", vol,
                                   "--delay", "1", "--workload", "Deployment/web", "--container", "app"],
                                  stdout=open(os.path.join(work, "mirror.log"), "w"), stderr=subprocess.STDOUT)
        procs.append(mirror)

        kubectl("-n", ns, "apply", "-f", "-", stdin=json.dumps({
            "apiVersion": "rollouts.featureflags.dev/v1alpha1", "kind": "FeatureRollout", "metadata": {"name": "web"},
            "spec": {"targets": [{"kind": "Deployment", "name": "web", "containers": ["app"]}],
                     "configMapName": "web-flags",
                     "flags": [{"name": FLAG, "envVar": "CHECKOUT"}],
                     "analysis": {"interval": "2s"},  # also the exposure query's interval
                     "delivery": {"env": {"restartOn": "Never"},
                                  "propagation": {"allowance": "2s",
                                                  "exposureQuery": f'min(demo_flag_document_revision{{job="{ns}"}})'}},
                     "phases": [{"name": "one", "enable": [FLAG],
                                 "steps": [{"percent": 10, "pause": "4s"}, {"percent": 50, "pause": "4s"}, {"percent": 100}]}]}}))

        def rollout():
            return json.loads(kubectl("-n", ns, "get", "featurerollout", "web", "-o", "json"))

        def deployment():
            return json.loads(kubectl("-n", ns, "get", "deployment", "web", "-o", "json"))

        # The app gets exactly the env the operator put on the pod template; the mount path maps to
        # the mirror's directory.
        def injected():
            c = deployment()["spec"]["template"]["spec"]["containers"][0]
            env = {e["name"]: e.get("value", "") for e in c.get("env", [])}
            mounts = [m for m in c.get("volumeMounts", []) if m.get("name") == "feature-flags"]
            return (env, mounts[0]["mountPath"]) if "FLAGD_OFFLINE_FLAG_SOURCE_PATH" in env and mounts else None
        env, mount_path = wait_for(injected, 60, "the operator to mount the ConfigMap into deploy/web")
        check(env.get("FLAGD_RESOLVER") == "in-process", f"FLAGD_RESOLVER={env.get('FLAGD_RESOLVER')}")
        source = env["FLAGD_OFFLINE_FLAG_SOURCE_PATH"]
        check(source.startswith(mount_path + "/"), f"the flag file {source} is in the mount {mount_path}")
        app_env = dict(os.environ, NODE_PATH=node_path, FLAGD_RESOLVER=env["FLAGD_RESOLVER"],
                       FLAGD_OFFLINE_FLAG_SOURCE_PATH=vol + source[len(mount_path):])
        app, ports, app_log = start_app(a.app, app_env, USERS)
        procs.append(app)
        wait_for(lambda: ports, 30, "the app's first log line")
        with open(targets_file + ".tmp", "w") as f:
            json.dump([{"targets": [f"127.0.0.1:{ports['metrics']}"], "labels": {"job": ns}}], f)
        os.replace(targets_file + ".tmp", targets_file)

        def served():
            status, body = get(f"http://127.0.0.1:{ports['control']}/users?flag={FLAG}")
            if status != 200:
                return None
            doc = json.loads(body)
            return set(doc["users"] if isinstance(doc, dict) else doc)

        seen = {}  # percent -> (users served, deployment generation, replicasets)
        generation_after_mount = None
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            st = rollout().get("status", {})
            percent = st.get("percent")
            active = "stepStartedAt" in st or st.get("state") == "Succeeded"
            if active and percent in (10, 50, 100) and percent not in seen:
                users = served()
                if users is not None:
                    d = deployment()
                    seen[percent] = (users, d["metadata"]["generation"])
                    if generation_after_mount is None:
                        generation_after_mount = d["metadata"]["generation"]
                    print(f"step at {percent}%: the SDK serves {len(users)} of {USERS} users "
                          f"({100 * len(users) / USERS:.2f}%), generation {d['metadata']['generation']}, "
                          f"revision {st.get('delivery', {}).get('revision')}", flush=True)
            if st.get("state") == "Succeeded" and 100 in seen:
                break
            if st.get("state") in ("RolledBack", "Invalid"):
                break
            time.sleep(0.3)
        st = rollout().get("status", {})
        check(st.get("state") == "Succeeded", f"the rollout Succeeded (state {st.get('state')}: {st.get('message')})")
        for p in (10, 50, 100):
            if p not in seen:
                check(False, f"the step at {p}% was seen active")
                continue
            share = 100 * len(seen[p][0]) / USERS
            check(abs(share - p) <= 1.5, f"at {p}% the SDK serves {share:.2f}% of {USERS} users (within 1.5 points)")
        if 10 in seen and 50 in seen:
            check(seen[10][0] <= seen[50][0], f"the {len(seen[10][0])} users at 10% are among the {len(seen[50][0])} at 50%")
        if 50 in seen and 100 in seen:
            check(seen[50][0] <= seen[100][0], "the users at 50% are among those at 100%")
        gens = [seen[p][1] for p in sorted(seen)]
        check(len(set(gens)) == 1, f"the Deployment's generation stays put after the mount: {gens}")
        rs = json.loads(kubectl("-n", ns, "get", "replicasets", "-l", "app=web", "-o", "json"))["items"]
        check(len(rs) == 2, f"{len(rs)} pod templates (the user's and the one with the mount): no restart per step")
    except Exception as e:  # noqa: BLE001 - report any failure with the logs
        check(False, f"{type(e).__name__}: {e}")
    finally:
        # The rollout goes while the operator still runs, so its finalizer does not hold the namespace.
        subprocess.run(["kubectl", "-n", ns, "delete", "featurerollout", "web", "--timeout=30s"], capture_output=True)
        for p in reversed(procs):
            p.terminate()
        for p in procs:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        if failures:
            for name in ("operator.log", "mirror.log"):
                path = os.path.join(work, name)
                if os.path.exists(path):
                    print(f"--- {name} (last 30 lines)")
                    print("\n".join(open(path).read().splitlines()[-30:]))
            print("--- app (last 20 lines)")
            print("\n".join(app_log[-20:]))
        try:
            os.remove(targets_file)
        except OSError:
            pass
        subprocess.run(["kubectl", "delete", "namespace", ns, "--wait=false"], capture_output=True)
        shutil.rmtree(work, ignore_errors=True)
    print(f"{'FAILED' if failures else 'PASSED'}: {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
