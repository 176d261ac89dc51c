#!/usr/bin/env python3
"""Tests of hack/blackbox-fuzz.py itself: that a crash, a hang, a memory hog and a silent exit are
each classified as such, that the limits hold (timeout, RLIMIT_AS, the process group is killed),
that signatures deduplicate, that mutation is deterministic, and that a campaign against a fake
plugin that crashes ends with exit 1 and a saved reproducer. About 12 s (one 10 s timeout, run in
parallel with the rest)."""

import importlib.util
import contextlib
import io
import json
import os
import random
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("blackbox_fuzz", REPO / "hack" / "blackbox-fuzz.py")
bf = importlib.util.module_from_spec(_spec)
sys.modules["blackbox_fuzz"] = bf
_spec.loader.exec_module(bf)

PY = sys.executable


class FakePrograms(unittest.TestCase):
    """All fake programs run in one run_many, eight at a time, so the 10 s sleeper sets the cost."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.pidfile = os.path.join(cls.tmp.name, "grandchild.pid")
        progs = {
            "segv": ["sh", "-c", "kill -SEGV $$"],
            "abort": ["sh", "-c", "kill -ABRT $$"],
            "sleep": ["sh", "-c", "sleep 20"],
            "mem600": [PY, "-c", "b = b'x' * (600 << 20); print('allocated')"],
            "mem100": [PY, "-c", "b = b'x' * (100 << 20); print('allocated')"],
            "as3g": [PY, "-c", "b = bytearray(3 << 30); print('allocated')"],
            "silent0": ["sh", "-c", "exit 0"],
            "silent1": ["sh", "-c", "exit 1"],
            "silent_ws": ["sh", "-c", "echo '   '; exit 1"],
            "ok1": ["sh", "-c", "echo 'f.yaml:1: kind: Invalid value'; exit 1"],
            "ok2": ["sh", "-c", "echo 'Error: usage' >&2; exit 2"],
            "ok0": ["sh", "-c", "echo 'ok: 1 FeatureRollout checked' >&2; exit 0"],
            "terminate": ["sh", "-c", "echo \"terminate called after throwing an instance of 'std::bad_alloc'\" >&2; "
                                      "echo '  what():  std::bad_alloc' >&2; exit 1"],
            "asan": ["sh", "-c", "echo '==1==ERROR: AddressSanitizer: heap-buffer-overflow' >&2; "
                                 "echo 'SUMMARY: AddressSanitizer: heap-buffer-overflow /src/x.cpp:12' >&2; exit 1"],
            "exit134": ["sh", "-c", "echo boom >&2; exit 134"],
            "exit3": ["sh", "-c", "echo odd; exit 3"],
            "grandchild": ["sh", "-c", f"sleep 100 & echo $! > {cls.pidfile}; echo started"],
            "bigout": [PY, "-c", "import sys; sys.stdout.write('y' * (3 << 20)); sys.stderr.write('e')"],
        }
        cls.names = list(progs)
        t0 = time.monotonic()
        results = bf.run_many([(argv, name) for name, argv in progs.items()], jobs=8)
        cls.wall = time.monotonic() - t0
        cls.r = {r.tag: r for r in results}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def cls_of(self, name):
        return bf.classify(self.r[name])

    def test_segv_is_a_crash(self):
        r = self.r["segv"]
        self.assertEqual(r.signal, 11)
        self.assertEqual(self.cls_of("segv"), "crash")
        self.assertEqual(bf.signature(r, "crash"), "signal 11 (SIGSEGV)")

    def test_abort_is_a_crash(self):
        self.assertEqual(self.cls_of("abort"), "crash")

    def test_sleep_is_a_timeout_killed_at_10s(self):
        r = self.r["sleep"]
        self.assertTrue(r.timed_out)
        self.assertEqual(self.cls_of("sleep"), "timeout")
        self.assertGreaterEqual(r.elapsed, bf.TIMEOUT_S)
        self.assertLess(r.elapsed, bf.TIMEOUT_S + 2)
        self.assertLess(self.wall, bf.TIMEOUT_S + 5, "the runs went in parallel and the sleeper was killed")

    def test_600_mib_is_memory(self):
        r = self.r["mem600"]
        self.assertEqual(r.exit_code, 0)
        self.assertGreater(r.maxrss_mib, 600)
        self.assertEqual(self.cls_of("mem600"), "memory")

    def test_100_mib_is_fine(self):
        r = self.r["mem100"]
        self.assertGreater(r.maxrss_mib, 100)
        self.assertEqual(self.cls_of("mem100"), "ok")

    def test_address_space_is_capped_at_2_gib(self):
        r = self.r["as3g"]
        self.assertEqual(r.exit_code, 1)
        self.assertIn(b"MemoryError", r.stderr)
        self.assertLess(r.maxrss_mib, 512)

    def test_silent_exits(self):
        for n in ("silent0", "silent1", "silent_ws"):
            self.assertEqual(self.cls_of(n), "silent", n)

    def test_ok_runs(self):
        for n in ("ok0", "ok1", "ok2"):
            self.assertEqual(self.cls_of(n), "ok", n)

    def test_terminate_and_sanitizer_output_are_crashes_even_with_exit_1(self):
        self.assertEqual(self.cls_of("terminate"), "crash")
        self.assertEqual(bf.signature(self.r["terminate"], "crash"), "what(): std::bad_alloc")
        self.assertEqual(self.cls_of("asan"), "crash")
        self.assertTrue(bf.signature(self.r["asan"], "crash").startswith("SUMMARY: AddressSanitizer: heap-buffer-overflow"))

    def test_exit_status_classes(self):
        self.assertEqual(self.cls_of("exit134"), "crash")
        self.assertEqual(self.cls_of("exit3"), "exit")

    def test_grandchild_holding_the_pipes_is_killed(self):
        r = self.r["grandchild"]
        self.assertEqual(self.cls_of("grandchild"), "ok")
        self.assertLess(r.elapsed, 3)
        pid = int(Path(self.pidfile).read_text())
        for _ in range(50):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
            except FileNotFoundError:
                break
            if state in ("Z", "X"):
                break
            time.sleep(0.1)
        else:
            self.fail(f"grandchild {pid} still running")

    def test_large_output_is_drained_and_counted(self):
        r = self.r["bigout"]
        self.assertEqual(r.exit_code, 0)
        self.assertEqual(r.stdout_bytes, 3 << 20)
        self.assertEqual(len(r.stdout), bf.OUTPUT_KEEP)


class Signatures(unittest.TestCase):
    def test_paths_and_positions_are_normalised(self):
        a = bf.RunResult(argv=[], exit_code=None, signal=6,
                         stderr=b"terminate called after throwing an instance of 'x'\n  what():  [json.exception.type_error.316] "
                                b"invalid UTF-8 byte at index 3: 0xC0\n")
        b = bf.RunResult(argv=[], exit_code=None, signal=6,
                         stderr=b"terminate called after throwing an instance of 'x'\n  what():  [json.exception.type_error.316] "
                                b"invalid UTF-8 byte at index 17: 0xFF\n")
        c = bf.RunResult(argv=[], exit_code=None, signal=6,
                         stderr=b"terminate called\n  what():  [json.exception.type_error.302] type must be string, but is array\n")
        self.assertEqual(bf.signature(a, "crash"), bf.signature(b, "crash"))
        self.assertNotEqual(bf.signature(a, "crash"), bf.signature(c, "crash"))
        self.assertIn("UTF-8", bf.signature(a, "crash"))
        d = bf.RunResult(argv=[], exit_code=1, stderr=b"Error: /tmp/w/in-003.yaml: bad at line 12\n")
        e = bf.RunResult(argv=[], exit_code=1, stderr=b"Error: /tmp/w/in-009.yaml: bad at line 40\n")
        self.assertEqual(bf.signature(d, "silent", "/tmp/w/in-003.yaml"), bf.signature(e, "silent", "/tmp/w/in-009.yaml"))

    def test_a_signal_names_a_crash_whatever_was_printed_before(self):
        a = bf.RunResult(argv=[], signal=11, stderr=b"f.yaml:1: warning: spec.x: Duplicate key\n")
        b = bf.RunResult(argv=[], signal=11, stderr=b"")
        self.assertEqual(bf.signature(a, "crash"), "signal 11 (SIGSEGV)")
        self.assertEqual(bf.signature(a, "crash"), bf.signature(b, "crash"))

    def test_timeout_signature_does_not_depend_on_the_kill(self):
        r = bf.RunResult(argv=[], signal=9, timed_out=True)
        self.assertEqual(bf.signature(r, "timeout"), "timeout")


class Mutation(unittest.TestCase):
    def test_deterministic_for_a_seed(self):
        seeds = bf.load_seeds([str(REPO / "hack" / "blackbox-seeds")])
        base = seeds[0][1]
        one = [bf.mutate(random.Random(f"5:1:{k}"), base, seeds) for k in range(200)]
        two = [bf.mutate(random.Random(f"5:1:{k}"), base, seeds) for k in range(200)]
        self.assertEqual(one, two)
        self.assertGreater(len({m for m, _ in one}), 150, "mutations differ from each other")

    def test_every_mutator_runs(self):
        seeds = bf.load_seeds([str(REPO / "hack" / "blackbox-seeds")])
        rng = random.Random(3)
        for m, _w in bf.MUTATORS:
            for name, data in seeds[:40]:
                out = m(rng, data, seeds)
                self.assertIsInstance(out, bytes, (m.__name__, name))


FAKE_CRASHER = """#!/bin/sh
# A stand-in plugin: aborts on any input that has "phases" in it, else answers like lint.
if grep -q phases "$2"; then kill -ABRT $$; fi
echo "$2: checked"
exit 1
"""
FAKE_OK = """#!/bin/sh
echo "ok: 1 FeatureRollout checked" >&2
exit 0
"""


class Campaign(unittest.TestCase):
    def campaign(self, script, runs):
        with tempfile.TemporaryDirectory() as tmp:
            plugin = Path(tmp) / "fake-plugin"
            plugin.write_text(script)
            plugin.chmod(0o755)
            out = Path(tmp) / "out"
            with contextlib.redirect_stdout(io.StringIO()):
                rc = bf.main(["--plugin", str(plugin), "--runs", str(runs), "--seed", "1", "--jobs", "2", "--out", str(out),
                              "--json", "--minimize-seconds", "3"])
            summary = json.loads((out / "summary.json").read_text())
            finding_inputs = [Path(f["input"]).exists() for f in summary["findings"]]
            return rc, summary, finding_inputs

    def test_crashing_plugin_fails_the_run_and_keeps_the_reproducer(self):
        rc, s, exists = self.campaign(FAKE_CRASHER, 40)
        self.assertEqual(rc, 1)
        self.assertEqual(s["executions"], 40)
        self.assertEqual(s["executions_by_command"], {"lint": 20, "plan": 20})
        self.assertEqual(s["distinct_findings_by_class"]["crash"], 2)  # one per command, deduplicated
        self.assertGreater(s["finding_runs_by_class"]["crash"], 2)
        self.assertTrue(all(exists))
        self.assertIn("SIGABRT", s["exit_codes"])

    def test_well_behaved_plugin_passes(self):
        rc, s, _ = self.campaign(FAKE_OK, 30)
        self.assertEqual(rc, 0)
        self.assertEqual(s["findings"], [])
        self.assertEqual(s["ok_runs"], 30)
        self.assertEqual(s["exit_codes"], {"0": 30})


if __name__ == "__main__":
    unittest.main(verbosity=2)
