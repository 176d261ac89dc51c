#!/usr/bin/env python3
"""hack/kubelet-mirror.py against ConfigMap JSON in a file (--source-file): what an app reading the
mirrored directory sees. The kubectl source is exercised by mirror_integration_test.py.
  python3 mirror_test.py MIRROR [unittest args]"""
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest

import demoapp_support as support

MIRROR = None


def wait_for(cond, timeout, what):
    return support.wait_for(cond, timeout, what, poll=0.005)  # swaps are timed to a few ms


def write_atomic(path, obj):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(obj, fh)
    os.replace(tmp, path)


def document(version, size=64 * 1024):
    """A flag-file-sized value whose own checksum tells a whole file from a partial one."""
    body = (f"v{version}-" * (size // 8))[:size]
    return json.dumps({"version": version, "body": body, "sha": hashlib.sha256(body.encode()).hexdigest()})


def ts_dirs(d):
    return sorted(n for n in os.listdir(d) if n.startswith("..") and n not in ("..data", "..data_tmp"))


class Mirror:
    def __init__(self, tmp, delay, workload=None):
        self.dir = os.path.join(tmp, "vol")
        self.src = os.path.join(tmp, "cm.json")
        self.wl = os.path.join(tmp, "workload.json")
        args = [sys.executable, MIRROR, "--namespace", "t", "--configmap", "flags", "--dir", self.dir,
                "--delay", str(delay), "--source-file", self.src, "--poll-interval", "0.01"]
        if workload is not None:
            write_atomic(self.wl, workload)
            args += ["--workload", "Deployment/shop", "--container", "shop", "--workload-file", self.wl]
        self.lines = []
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.lines.append(line.strip())

    def data_target(self):
        p = os.path.join(self.dir, "..data")
        return os.readlink(p) if os.path.islink(p) else None

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=5)
        err = self.proc.stderr.read()
        return rc, err


class MirrorTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mirror-test-")
        self.mirror = None

    def tearDown(self):
        if self.mirror and self.mirror.proc.poll() is None:
            rc, err = self.mirror.stop()
            self.assertEqual(rc, 0, f"the mirror did not exit cleanly on SIGTERM: {err}")
        shutil.rmtree(self.tmp, ignore_errors=True)

    def start(self, delay, workload=None):
        self.mirror = Mirror(self.tmp, delay, workload)
        return self.mirror

    def test_reader_never_sees_a_partial_or_missing_file_during_swaps(self):
        m = self.start(delay=0)
        write_atomic(m.src, {"data": {"flags.flagd.json": document(0), "stable": "s", "extra": "x"}})
        key = os.path.join(m.dir, "flags.flagd.json")
        wait_for(lambda: os.path.exists(key), 10, "the first payload")

        stop = threading.Event()
        problems, reads, dirs_seen = [], [0], [0]

        def reader():
            last = -1
            while not stop.is_set():
                try:
                    with open(key, encoding="utf-8") as fh:
                        text = fh.read()
                    with open(os.path.join(m.dir, "stable"), encoding="utf-8") as fh:
                        stable = fh.read()
                except FileNotFoundError as e:
                    problems.append(f"missing: {e}")
                    continue
                try:
                    doc = json.loads(text)
                    ok = hashlib.sha256(doc["body"].encode()).hexdigest() == doc["sha"]
                except (ValueError, KeyError):
                    ok = False
                if not ok:
                    problems.append(f"partial file ({len(text)} bytes)")
                    continue
                if stable != "s":
                    problems.append(f"stable key read {stable!r}")
                if doc["version"] < last:
                    problems.append(f"went back from version {last} to {doc['version']}")
                last = doc["version"]
                reads[0] += 1

        def dir_watcher():
            while not stop.is_set():
                n = len(ts_dirs(m.dir))
                dirs_seen[0] = max(dirs_seen[0], n)

        threads = [threading.Thread(target=reader) for _ in range(2)] + [threading.Thread(target=dir_watcher)]
        for t in threads:
            t.start()
        swaps = 150
        try:
            for v in range(1, swaps + 1):
                data = {"flags.flagd.json": document(v), "stable": "s"}
                if v < swaps:
                    data["extra"] = "x"
                before = m.data_target()
                write_atomic(m.src, {"data": data})
                wait_for(lambda: m.data_target() not in (None, before), 10, f"swap {v}")
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(problems[:5], [], f"{len(problems)} bad reads of {reads[0]}")
        self.assertGreater(reads[0], swaps, "the readers should have read during the swaps")
        wait_for(lambda: ts_dirs(m.dir) == [m.data_target()], 10, "old timestamped directories to be removed")
        self.assertFalse(os.path.lexists(os.path.join(m.dir, "..data_tmp")))
        self.assertFalse(os.path.lexists(os.path.join(m.dir, "extra")), "a key that is gone is removed")
        self.assertEqual(os.readlink(key), "..data/flags.flagd.json")
        with open(key, encoding="utf-8") as fh:
            self.assertEqual(json.loads(fh.read())["version"], swaps)
        print(f"{swaps} swaps, {reads[0]} whole reads, at most {dirs_seen[0]} timestamped directories at once")

    def test_a_change_is_applied_after_the_delay(self):
        delay = 1.0
        m = self.start(delay=delay)
        key = os.path.join(m.dir, "k")
        # the first payload also waits for the mirror to start: timed are the changes after it
        write_atomic(m.src, {"data": {"k": "start"}})
        wait_for(lambda: os.path.exists(key), delay + 30, "the first payload")
        lags = []
        for v in range(3):
            before = m.data_target()
            write_atomic(m.src, {"data": {"k": str(v)}})
            t0 = time.monotonic()
            wait_for(lambda: m.data_target() not in (None, before), delay + 5, f"version {v}")
            lags.append(time.monotonic() - t0)
            with open(key, encoding="utf-8") as fh:
                self.assertEqual(fh.read(), str(v))
        print("change -> mirrored: " + ", ".join(f"{x:.2f} s" for x in lags) + f" (delay {delay} s)")
        for lag in lags:
            self.assertGreaterEqual(lag, delay - 0.02)  # the source poll may see the file a moment late
            self.assertLess(lag, delay + 2.0)  # and not much later (a loaded machine adds a little)

    def test_a_missing_configmap_is_an_empty_volume(self):
        m = self.start(delay=0)
        write_atomic(m.src, {"data": {"k": "1"}})
        wait_for(lambda: os.path.exists(os.path.join(m.dir, "k")), 10, "k")
        before = m.data_target()
        os.remove(m.src)
        wait_for(lambda: m.data_target() not in (None, before), 10, "the empty payload")
        wait_for(lambda: sorted(os.listdir(m.dir)) == sorted(["..data", m.data_target()]), 10,
                 "only ..data and its (empty) directory")
        self.assertEqual(os.listdir(os.path.join(m.dir, m.data_target())), [])

    def test_only_while_the_workload_mounts_the_configmap(self):
        def deployment(mounts, volume=True, container="shop"):
            spec = {"containers": [{"name": container, "image": "x", "volumeMounts": mounts}]}
            if volume:
                spec["volumes"] = [{"name": "feature-flags", "configMap": {"name": "flags", "optional": True}}]
            return {"kind": "Deployment", "metadata": {"name": "shop"}, "spec": {"template": {"spec": spec}}}

        mount = {"name": "feature-flags", "mountPath": "/etc/feature-flags", "readOnly": True}
        m = self.start(delay=0, workload=deployment([]))
        write_atomic(m.src, {"data": {"flags.flagd.json": "{}"}})
        wait_for(lambda: "mountPath -" in m.lines, 10, "the mirror to report no mount")
        self.assertEqual(os.listdir(m.dir) if os.path.isdir(m.dir) else [], [], "no volume: nothing in the directory")

        write_atomic(m.wl, deployment([mount]))
        wait_for(lambda: "mountPath /etc/feature-flags" in m.lines, 10, "the mirror to report the mount")
        wait_for(lambda: os.path.exists(os.path.join(m.dir, "flags.flagd.json")), 10, "the mirrored file")

        cases = [(deployment([dict(mount, subPath="flags.flagd.json")]), "subPath"),
                 (deployment([mount], container="sidecar"), "another container"),
                 (deployment([mount], volume=False), "no volume")]
        for wl, what in cases:
            write_atomic(m.wl, wl)
            wait_for(lambda: m.lines[-1] == "mountPath -", 10, f"no mount ({what})")
            wait_for(lambda: os.listdir(m.dir) == [], 10, f"an empty directory ({what})")
            write_atomic(m.wl, deployment([mount]))
            wait_for(lambda: os.path.exists(os.path.join(m.dir, "flags.flagd.json")), 10, f"the file back after {what}")


if __name__ == "__main__":
    MIRROR = sys.argv.pop(1)
    unittest.main(verbosity=2)
