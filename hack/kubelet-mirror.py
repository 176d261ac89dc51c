#!/usr/bin/env python3
"""Mirrors one ConfigMap into a directory the way kubelet writes a ConfigMap volume.

It stands in for kubelet because kwok runs no containers: on the local control plane no pod ever
gets its volumes, so nothing would put the flag file where an app in a pod would read it. This
helper does what kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) does for a configMap
volume, in the same order:
  1. write every key into a new timestamped directory  DIR/..YYYY_MM_DD_HH_MM_SS.NNNNNNNNN
  2. point a symlink DIR/..data_tmp at it, and rename it over DIR/..data (atomic)
  3. create the user-visible symlinks  DIR/<key> -> ..data/<key>  (once per key)
  4. remove user-visible paths of keys that are gone, then the previous timestamped directory
so a reader that opens DIR/<key> sees either the old or the new file, whole, never a missing one.
One deliberate difference: kubelet removes the previous directory at once, so a reader whose
path walk had already followed the old ..data finds its file gone (ENOENT), rarely: 1 in about
20,000 back-to-back reads during 150 swaps in tests/demoapp/mirror_test.py. The mirror removes it
--cleanup-grace seconds (0.1) after the swap instead; at rest the directory is as kubelet leaves it.
A change is applied --delay seconds after it is seen (kubelet's sync period plus cache TTL: about
a minute by default, a couple of seconds in the demo). A missing ConfigMap is an empty payload
(..data points at an empty directory), as for an optional volume.

With --workload KIND/NAME --container C it mirrors only while that workload's pod template
mounts the ConfigMap as a volume (a configMap volume, without subPath) in container C, as kubelet
would for a pod of the current template; without the mount the directory holds nothing, like a
pod without the volume. It prints the mountPath it finds, so the caller can map it to DIR.

Source: the control plane through `kubectl get ... --watch` (KUBECONFIG from the environment;
`hack/cluster.sh env` puts kubectl on PATH), restarted if the watch ends; or, for tests, files
holding the ConfigMap (--source-file) and the workload (--workload-file) as JSON, polled.

  hack/kubelet-mirror.py --namespace demo --configmap unified-workflow-flags --dir /tmp/flags \
      [--delay 2] [--workload Deployment/shop --container shop]

SIGTERM or SIGINT stops it (exit 0); the directory is left as it was.
"""
import argparse
import datetime
import json
import os
import queue
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

DATA = "..data"
DATA_TMP = "..data_tmp"


def log(msg):
    print(f"{datetime.datetime.now().strftime('%H:%M:%S.%f')[:-3]} kubelet-mirror: {msg}", file=sys.stderr, flush=True)


# ---- the AtomicWriter ---------------------------------------------------------------------------

def _ts_dir_name():
    # kubelet: os.MkdirTemp(dir, time.Now().UTC().Format("..2006_01_02_15_04_05.")) -> a random suffix
    now = datetime.datetime.now(datetime.timezone.utc)
    return now.strftime("..%Y_%m_%d_%H_%M_%S.") + str(secrets.randbelow(10**10)).rjust(10, "0")


def _is_ts_dir(name):
    return name.startswith("..") and name not in (DATA, DATA_TMP) and name[2:3].isdigit()


def current_payload(target):
    """The payload DIR/..data points at now (path -> bytes), or None when there is no ..data."""
    data = os.path.join(target, DATA)
    if not os.path.islink(data):
        return None
    root = os.path.join(target, os.readlink(data))
    out = {}
    for dirpath, _, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, root)] = fh.read()
    return out


def write_payload(target, payload, mode=0o644, remove_old=None):
    """Writes payload (relative path -> bytes) into target the way AtomicWriter.Write does.
    Returns False when the payload equals what ..data already holds (nothing written).
    remove_old(name), when given, is handed the previous timestamped directory to remove later."""
    for p in payload:
        if p.startswith("/") or p.startswith("..") or "/../" in p or p.endswith("/.."):
            raise ValueError(f"invalid path {p!r}")
    os.makedirs(target, exist_ok=True)
    old_ts = os.readlink(os.path.join(target, DATA)) if os.path.islink(os.path.join(target, DATA)) else None
    old_payload = current_payload(target)
    if old_payload == payload:
        return False
    old_top = {p.split("/")[0] for p in (old_payload or {})}
    new_top = {p.split("/")[0] for p in payload}

    # 1. the new timestamped directory with every file, written and synced before it is visible
    ts = _ts_dir_name()
    ts_path = os.path.join(target, ts)
    os.mkdir(ts_path, 0o755)
    for rel, content in payload.items():
        full = os.path.join(ts_path, rel)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(full, mode)

    # 2. ..data_tmp -> ts, renamed over ..data: the one atomic step
    tmp = os.path.join(target, DATA_TMP)
    if os.path.lexists(tmp):
        os.remove(tmp)
    os.symlink(ts, tmp)
    os.rename(tmp, os.path.join(target, DATA))

    # 3. user-visible symlinks for new top-level paths
    for top in sorted(new_top - old_top):
        link = os.path.join(target, top)
        if os.path.lexists(link) and not os.path.islink(link):
            raise RuntimeError(f"{link} exists and is not a symlink")
        if not os.path.lexists(link):
            os.symlink(os.path.join(DATA, top), link)

    # 4. user-visible paths that are gone, then the old timestamped directory
    for top in sorted(old_top - new_top):
        link = os.path.join(target, top)
        if os.path.islink(link):
            os.remove(link)
    if old_ts and old_ts != ts:
        if remove_old is None:
            shutil.rmtree(os.path.join(target, old_ts), ignore_errors=True)
        else:
            remove_old(old_ts)
    return True


def remove_ts_dir(target, name):
    """Removes a timestamped directory unless ..data points at it again."""
    data = os.path.join(target, DATA)
    if os.path.islink(data) and os.readlink(data) == name:
        return
    shutil.rmtree(os.path.join(target, name), ignore_errors=True)


def clear(target):
    """No volume: remove what write_payload made (user-visible symlinks, ..data, timestamped dirs)."""
    if not os.path.isdir(target):
        return False
    changed = False
    for name in sorted(os.listdir(target)):
        p = os.path.join(target, name)
        if os.path.islink(p) and (name in (DATA, DATA_TMP) or os.readlink(p).startswith(DATA + "/")):
            os.remove(p)
            changed = True
    for name in sorted(os.listdir(target)):
        if _is_ts_dir(name) and os.path.isdir(os.path.join(target, name)):
            shutil.rmtree(os.path.join(target, name), ignore_errors=True)
            changed = True
    return changed


# ---- what kubelet would put in the volume ------------------------------------------------------

def configmap_payload(cm, items=None):
    """A ConfigMap object (or None: missing) -> relative path -> bytes, honouring volume items."""
    import base64
    data = {}
    if cm:
        for k, v in (cm.get("data") or {}).items():
            data[k] = v.encode("utf-8")
        for k, v in (cm.get("binaryData") or {}).items():
            data[k] = base64.b64decode(v)
    if not items:
        return data
    return {it["path"]: data[it["key"]] for it in items if it.get("key") in data and it.get("path")}


def find_mount(workload, configmap, container):
    """Where the workload's pod template mounts `configmap` in `container`:
    (mountPath, volumeName, items) or (None, reason, None)."""
    if not workload:
        return None, "the workload does not exist", None
    spec = (((workload.get("spec") or {}).get("template") or {}).get("spec") or {})
    volumes = {v.get("name"): v for v in spec.get("volumes") or [] if v.get("configMap", {}).get("name") == configmap}
    if not volumes:
        return None, f"no configMap volume of {configmap} in the pod template", None
    for c in spec.get("containers") or []:
        if c.get("name") != container:
            continue
        sub = None
        for m in c.get("volumeMounts") or []:
            if m.get("name") not in volumes:
                continue
            if m.get("subPath") or m.get("subPathExpr"):
                sub = m  # kubelet never updates a subPath mount: not a mount this mirror serves
                continue
            return m.get("mountPath"), m.get("name"), volumes[m["name"]]["configMap"].get("items")
        if sub is not None:
            return None, f"container {container} mounts it with subPath {sub.get('subPath')!r} (never updated by kubelet)", None
        return None, f"container {container} does not mount the volume", None
    return None, f"no container {container} in the pod template", None


# ---- sources -----------------------------------------------------------------------------------

class KubectlWatch(threading.Thread):
    """`kubectl get <resource> --field-selector metadata.name=NAME --watch -o json
    --output-watch-events`: a list watch, so a missing object is no error; events go to `out` as
    (kind, object or None). Restarted when kubectl exits (the server ends watches now and then)."""

    def __init__(self, kind, resource, namespace, name, out, kubectl="kubectl"):
        super().__init__(daemon=True)
        self.kind, self.resource, self.namespace, self.name, self.out = kind, resource, namespace, name, out
        self.kubectl = kubectl
        self.proc = None
        self.stopping = False

    def run(self):
        while not self.stopping:
            cmd = [self.kubectl, "get", self.resource, "-n", self.namespace, "--field-selector",
                   f"metadata.name={self.name}", "--watch", "-o", "json", "--output-watch-events"]
            # The watch prints nothing for a missing object, so one read first says where it stands.
            try:
                got = subprocess.run([self.kubectl, "get", self.resource, self.name, "-n", self.namespace, "-o", "json",
                                      "--ignore-not-found"], capture_output=True, text=True)
                self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            except OSError as e:
                log(f"cannot run kubectl: {e}")
                self.out.put(("fatal", None))
                return
            if got.returncode == 0:
                self.out.put((self.kind, json.loads(got.stdout) if got.stdout.strip() else None))
            else:
                log(f"kubectl get {self.resource}/{self.name}: {got.stderr.strip()}")
            decoder = json.JSONDecoder()
            buf = ""
            for line in self.proc.stdout:
                buf += line
                while buf.strip():
                    try:
                        ev, end = decoder.raw_decode(buf.lstrip())
                    except json.JSONDecodeError:
                        break
                    buf = buf.lstrip()[end:]
                    obj = ev.get("object")
                    if ev.get("type") in ("ADDED", "MODIFIED"):
                        self.out.put((self.kind, obj))
                    elif ev.get("type") == "DELETED":
                        self.out.put((self.kind, None))
            rc = self.proc.wait()
            err = self.proc.stderr.read().strip()
            if self.stopping:
                return
            log(f"kubectl watch of {self.resource}/{self.name} ended (exit {rc}{': ' + err if err else ''}); restarting")
            time.sleep(1)

    def stop(self):
        self.stopping = True
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()


class FileWatch(threading.Thread):
    """Test source: a file holding the object as JSON (missing or empty file: no object), polled."""

    def __init__(self, kind, path, out, interval):
        super().__init__(daemon=True)
        self.kind, self.path, self.out, self.interval = kind, path, out, interval
        self.stopping = False

    def run(self):
        last = object()
        while not self.stopping:
            try:
                with open(self.path, encoding="utf-8") as fh:
                    text = fh.read()
            except FileNotFoundError:
                text = ""
            if text != last:
                try:
                    obj = json.loads(text) if text.strip() else None
                    self.out.put((self.kind, obj))
                    last = text
                except json.JSONDecodeError:
                    pass  # a writer in the middle of writing: read again next time
            time.sleep(self.interval)

    def stop(self):
        self.stopping = True


# ---- main --------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--namespace", "-n", default="default")
    ap.add_argument("--configmap", required=True, help="the ConfigMap to mirror")
    ap.add_argument("--dir", required=True, help="the directory that stands in for the volume")
    ap.add_argument("--delay", type=float, default=2.0, help="seconds between seeing a change and applying it (kubelet's sync lag)")
    ap.add_argument("--cleanup-grace", type=float, default=0.1,
                    help="seconds between the ..data swap and the removal of the previous directory (kubelet: 0)")
    ap.add_argument("--workload", help="KIND/NAME (Deployment, StatefulSet, DaemonSet): mirror only while its pod template mounts the ConfigMap")
    ap.add_argument("--container", help="with --workload: the container whose mount counts")
    ap.add_argument("--source-file", help="test mode: read the ConfigMap as JSON from this file instead of the API server")
    ap.add_argument("--workload-file", help="test mode: read the workload as JSON from this file")
    ap.add_argument("--poll-interval", type=float, default=0.05, help="test mode: seconds between reads of the source files")
    ap.add_argument("--kubectl", default=os.environ.get("KUBECTL", "kubectl"))
    a = ap.parse_args(argv)
    if a.delay < 0:
        ap.error("--delay must be >= 0")
    if a.workload:
        if "/" not in a.workload or not a.container:
            ap.error("--workload takes KIND/NAME and needs --container")
        kind, name = a.workload.split("/", 1)
        resource = {"deployment": "deployments.apps", "statefulset": "statefulsets.apps",
                    "daemonset": "daemonsets.apps"}.get(kind.lower())
        if not resource:
            ap.error(f"--workload kind {kind!r} is not Deployment, StatefulSet or DaemonSet")
    if a.workload_file and not a.workload:
        ap.error("--workload-file needs --workload")

    events = queue.Queue()
    sources = []
    if a.source_file:
        sources.append(FileWatch("configmap", a.source_file, events, a.poll_interval))
    else:
        sources.append(KubectlWatch("configmap", "configmaps", a.namespace, a.configmap, events, a.kubectl))
    if a.workload:
        if a.workload_file:
            sources.append(FileWatch("workload", a.workload_file, events, a.poll_interval))
        else:
            sources.append(KubectlWatch("workload", resource, a.namespace, name, events, a.kubectl))

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())

    seen = {"configmap": False, "workload": not a.workload}  # first answer of each source
    cm = None
    workload = None
    mount_said = None
    pending = []  # (due time, desired payload or None for "no volume"), applied in order
    last_desired = object()
    log(f"mirroring ConfigMap {a.namespace}/{a.configmap} into {a.dir} with a {a.delay:g} s delay"
        + (f", while {a.workload} mounts it in container {a.container}" if a.workload else ""))
    for s in sources:
        s.start()

    removals = []  # (due time, previous timestamped directory)

    def remove_later(name):
        if a.cleanup_grace <= 0:
            remove_ts_dir(a.dir, name)
        else:
            removals.append((time.monotonic() + a.cleanup_grace, name))

    while not stop.is_set():
        timeout = 0.2
        for due, _ in pending[:1] + removals[:1]:
            timeout = max(0.0, min(timeout, due - time.monotonic()))
        try:
            kind, obj = events.get(timeout=timeout)
        except queue.Empty:
            kind = None
        if kind == "fatal":
            return 1
        if kind == "configmap":
            cm, seen["configmap"] = obj, True
        elif kind == "workload":
            workload, seen["workload"] = obj, True
        if kind is not None and all(seen.values()):
            items = None
            if a.workload:
                path, why, items = find_mount(workload, a.configmap, a.container)
                said = path or why
                if said != mount_said:
                    if path:
                        log(f"{a.workload} container {a.container} mounts ConfigMap {a.configmap} at {path} "
                            f"(volume {why}); mirroring it into {a.dir}")
                        print(f"mountPath {path}", flush=True)
                    else:
                        log(f"not mounted: {why}; {a.dir} holds nothing (a pod without the volume)")
                        print("mountPath -", flush=True)
                    mount_said = said
                desired = configmap_payload(cm, items) if path else None
            else:
                desired = configmap_payload(cm)
            if desired != last_desired:
                pending.append((time.monotonic() + a.delay, desired))
                last_desired = desired
        while pending and pending[0][0] <= time.monotonic():
            _, desired = pending.pop(0)
            try:
                if desired is None:
                    if clear(a.dir):
                        log(f"cleared {a.dir}")
                elif write_payload(a.dir, desired, remove_old=remove_later):
                    log(f"wrote {len(desired)} keys into {a.dir}/{os.readlink(os.path.join(a.dir, DATA))}")
            except OSError as e:
                log(f"writing {a.dir}: {e}")
        while removals and removals[0][0] <= time.monotonic():
            remove_ts_dir(a.dir, removals.pop(0)[1])
    for _, name in removals:
        remove_ts_dir(a.dir, name)
    for s in sources:
        s.stop()
    log("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
