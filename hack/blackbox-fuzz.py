#!/usr/bin/env python3
"""Black-box mutation fuzzer of the kubectl plugin's offline commands (issue 17).

Runs the built `kubectl-featurerollout` as `lint FILE` and `plan FILE` on mutated FeatureRollout
manifests and records every run that crashes, hangs, eats memory or fails without a word.

Seeds: crds/samples/*.yaml, hack/demo/rollout.yaml, tests/plugin/lint/*.yaml, the hand-written
hostile manifests in hack/blackbox-seeds/ and a few generated ones too big to keep in git (1 MiB
scalars, 10k-level nesting, alias bombs of several sizes; `--write-seeds DIR` writes them out).

Every run gets a hard wall-clock limit of 10 s (the process group is killed), an address-space cap
of 2 GiB (RLIMIT_AS, so a bomb cannot take the machine) and no core dumps; its peak RSS is the
ru_maxrss that wait4 reports. A run is
  ok       exit 0, 1 or 2 with something on stdout or stderr
  crash    killed by a signal, exit >= 128, or "terminate called" / sanitizer output on stderr
  timeout  still running after 10 s
  memory   peak RSS over 512 MiB
  silent   exit 0, 1 or 2 with nothing at all on stdout and stderr
  exit     any other exit status (3..127)
The first that applies wins, in the order timeout, memory, crash, exit, silent, ok (a bomb that
grows to the cap and then aborts is "memory"). Everything but ok is a finding. Findings are
deduplicated by command + class + top stderr line (the exception's what(), a sanitizer SUMMARY,
else the signal; the input's path, positions and byte values normalised) and each distinct one is
saved under OUT/findings/NNN-CLASS-COMMAND/ with its input, a line/byte-minimised min.yaml (crash,
silent, exit, and memory findings quicker than 2.5 s), the command, the exit status and the output.
OUT/runs.tsv lists every unmutated seed's runs and every finding run; OUT/extremes/ keeps the
slowest input and the one with the highest peak RSS; OUT/summary.json holds the figures.

The run is deterministic for a given --seed: input i of batch b is made by random.Random from
(seed, b, i) out of the corpus as it stood before batch b; inputs that produce a lint/plan message
no earlier input produced join the corpus (black-box feedback), in input order, whatever --jobs is.

Usage:
  hack/blackbox-fuzz.py [--plugin PATH] [--seconds N] [--runs N] [--jobs N] [--seed N] [--out DIR]
                        [--json] [--minimize-seconds N] [--seed-dir DIR]...
Exit status: 0 no finding, 1 at least one finding, 2 usage error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import resource
import select
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TIMEOUT_S = 10.0
MEMORY_LIMIT_MIB = 512
ADDRESS_SPACE_CAP = 2 << 30
OUTPUT_KEEP = 256 << 10  # bytes of each stream kept per run (the rest is read and counted)
MAX_INPUT = 4 << 20  # a mutated input larger than this is cut back
FINDING_CLASSES = ("crash", "timeout", "memory", "silent", "exit")
MARKER = ".blackbox-fuzz"
EXAMPLES_KEPT = 5  # inputs kept per distinct finding: input.yaml and example-2..5.yaml

# --------------------------------------------------------------------------------------------
# Running one program: hard timeout, RLIMIT_AS, peak RSS from wait4.
# --------------------------------------------------------------------------------------------


@dataclass
class RunResult:
    argv: list
    exit_code: int | None = None  # None when killed by a signal
    signal: int | None = None
    elapsed: float = 0.0
    maxrss_kib: int = 0
    timed_out: bool = False
    stdout: bytes = b""
    stderr: bytes = b""
    stdout_bytes: int = 0
    stderr_bytes: int = 0
    tag: object = None

    @property
    def maxrss_mib(self) -> float:
        return self.maxrss_kib / 1024.0

    def status_text(self) -> str:
        if self.timed_out:
            return f"killed after {self.elapsed:.1f} s (timeout)"
        if self.signal is not None:
            return f"signal {self.signal} ({signal_name(self.signal)})"
        return f"exit {self.exit_code}"


def signal_name(sig: int) -> str:
    try:
        return signal.Signals(sig).name
    except ValueError:
        return f"SIG{sig}"


def _child_limits(address_space: int) -> None:
    # Runs in the child between fork and exec; the parent is single-threaded (see Runner).
    resource.setrlimit(resource.RLIMIT_AS, (address_space, address_space))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


class _Active:
    def __init__(self, argv, tag, env, timeout, address_space):
        self.result = RunResult(argv=list(argv), tag=tag)
        self.timeout = timeout
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
            close_fds=True,
            preexec_fn=lambda: _child_limits(address_space),
        )
        self.start = time.monotonic()
        self.deadline = self.start + timeout
        self.pid = self.popen.pid
        self.pidfd = os.pidfd_open(self.pid)
        self.streams = {}
        for name, f in (("stdout", self.popen.stdout), ("stderr", self.popen.stderr)):
            fd = f.fileno()
            os.set_blocking(fd, False)
            self.streams[fd] = (name, f, bytearray())
        self.exited = False

    def read(self, fd) -> bool:
        """Reads what is there; False at EOF."""
        name, _f, buf = self.streams[fd]
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            return True
        if not chunk:
            return False
        if name == "stdout":
            self.result.stdout_bytes += len(chunk)
        else:
            self.result.stderr_bytes += len(chunk)
        room = OUTPUT_KEEP - len(buf)
        if room > 0:
            buf += chunk[:room]
        return True

    def kill_group(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass

    def reap(self):
        # The process is a zombie (pidfd readable): kill what is left of its group (a grandchild
        # holding the pipes), then collect the status and rusage of the process itself.
        self.result.elapsed = time.monotonic() - self.start
        self.kill_group()
        _pid, status, rusage = os.wait4(self.pid, 0)
        self.popen.returncode = status  # so Popen never waits for it again
        if os.WIFSIGNALED(status):
            self.result.signal = os.WTERMSIG(status)
        else:
            self.result.exit_code = os.WEXITSTATUS(status)
        self.result.maxrss_kib = rusage.ru_maxrss  # KiB on Linux
        os.close(self.pidfd)
        self.exited = True

    def finish(self):
        for fd, (name, f, buf) in self.streams.items():
            setattr(self.result, name, bytes(buf))
            f.close()
        return self.result


def run_many(tasks, jobs=2, timeout=TIMEOUT_S, env=None, address_space=ADDRESS_SPACE_CAP, on_result=None, stop_at=None):
    """Runs (argv, tag) tasks, at most `jobs` at once, in one thread (poll on pidfds and pipes).

    Returns the RunResults in task order (None for a task not started because time.monotonic()
    passed stop_at); on_result(result) is called as each one ends."""
    tasks = list(tasks)
    results = [None] * len(tasks)
    pending = list(enumerate(tasks))
    pending.reverse()
    active = {}  # index -> _Active
    fd_owner = {}  # fd -> index
    poller = select.poll()

    open_streams = {}  # index -> fds not at EOF yet

    def start_next():
        i, (argv, tag) = pending.pop()
        a = _Active(argv, tag, env, timeout, address_space)
        active[i] = a
        open_streams[i] = set(a.streams)
        poller.register(a.pidfd, select.POLLIN)
        fd_owner[a.pidfd] = i
        for fd in a.streams:
            poller.register(fd, select.POLLIN)
            fd_owner[fd] = i

    while pending or active:
        if stop_at is not None and time.monotonic() >= stop_at:
            pending.clear()
        while pending and len(active) < jobs:
            start_next()
        if not active:
            break
        now = time.monotonic()
        waits = [a.deadline - now for a in active.values() if not a.exited]
        wait_ms = max(0, int(min(waits) * 1000) + 1) if waits else 50
        for fd, _ev in poller.poll(wait_ms):
            i = fd_owner.get(fd)
            if i is None:
                continue
            a = active[i]
            if fd == a.pidfd:
                poller.unregister(fd)
                del fd_owner[fd]
                a.reap()
            else:
                if not a.read(fd):
                    poller.unregister(fd)
                    del fd_owner[fd]
                    open_streams[i].discard(fd)
        now = time.monotonic()
        for i, a in list(active.items()):
            if not a.exited and now >= a.deadline:
                a.result.timed_out = True
                a.kill_group()  # the pidfd turns readable; reaped on the next poll
            if a.exited and not open_streams[i]:
                results[i] = a.finish()
                del active[i]
                del open_streams[i]
                if on_result:
                    on_result(results[i])
    return results


def run_one(argv, timeout=TIMEOUT_S, env=None, address_space=ADDRESS_SPACE_CAP):
    return run_many([(argv, None)], jobs=1, timeout=timeout, env=env, address_space=address_space)[0]


# --------------------------------------------------------------------------------------------
# Classification.
# --------------------------------------------------------------------------------------------

SANITIZER_MARKERS = (
    b"terminate called",
    b"AddressSanitizer",
    b"UndefinedBehaviorSanitizer",
    b"LeakSanitizer",
    b"MemorySanitizer",
    b"ThreadSanitizer",
    b"runtime error:",
    b"stack-overflow",
)


def normalise(line: str, path: str | None = None) -> str:
    """Drops what varies between inputs that hit the same bug: the input's path, positions, byte values."""
    if path:
        line = line.replace(path, "FILE")
    line = re.sub(r"0x[0-9a-fA-F]+", "0xH", line)
    line = re.sub(r"\b(line|lines|column|col|index|offset|position|pos|at|of|size|depth|length)( ?)\d+", r"\1\2N", line)
    line = re.sub(r"\b\d+(\.\d+)? (s|ms|MiB|KiB|levels|nodes)\b", r"N \2", line)
    line = re.sub(r"\s+", " ", line)
    return line.strip()[:200]


def failure_line(stderr: bytes, path: str | None = None) -> str:
    """The line that names a failure: an exception's what(), a sanitizer's SUMMARY or ERROR, "terminate called"."""
    lines = [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
    for marker in ("what():", "SUMMARY:", "ERROR: AddressSanitizer", "runtime error:", "terminate called"):
        for l in lines:
            if marker in l:
                return normalise(l, path)
    return ""


def top_stderr_line(stderr: bytes, path: str | None = None) -> str:
    """failure_line, else the first line."""
    top = failure_line(stderr, path)
    if top:
        return top
    lines = [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
    return normalise(lines[0], path) if lines else ""


def classify(r: RunResult, memory_limit_mib=MEMORY_LIMIT_MIB) -> str:
    if r.timed_out:
        return "timeout"
    if r.maxrss_kib > memory_limit_mib * 1024:
        return "memory"
    if r.signal is not None or (r.exit_code is not None and r.exit_code >= 128):
        return "crash"
    if any(m in r.stderr for m in SANITIZER_MARKERS):
        return "crash"
    if r.exit_code not in (0, 1, 2):
        return "exit"
    if not r.stdout.strip() and not r.stderr.strip():
        return "silent"
    return "ok"


def signature(r: RunResult, cls: str, path: str | None = None) -> str:
    """What deduplicates findings (with the command and the class). A crash is named by its
    failure line, else by its signal or exit status: ordinary output before a SIGSEGV (warnings
    about the input) says nothing about the bug."""
    if cls == "timeout":
        top = failure_line(r.stderr, path)
        return ("timeout; " + top) if top else "timeout"
    if cls == "memory":
        top = failure_line(r.stderr, path)
        return ("peak RSS over the limit; " + top) if top else "peak RSS over the limit"
    if cls == "crash":
        top = failure_line(r.stderr, path)
        if top:
            return top
        if r.signal is not None:
            return f"signal {r.signal} ({signal_name(r.signal)})"
        return f"exit {r.exit_code}"
    if cls == "exit":
        return f"exit {r.exit_code}; " + top_stderr_line(r.stderr, path)
    return top_stderr_line(r.stderr, path)


def message_shapes(r: RunResult, path: str) -> set:
    """Normalised shapes of what the plugin said: the black-box feedback signal."""
    out = set()
    for stream in (r.stdout, r.stderr):
        for line in stream.decode("utf-8", "replace").splitlines()[:200]:
            line = line.replace(path, "F")
            line = re.sub(r"Invalid value: .*?: ", "Invalid value: V: ", line)
            line = re.sub(r'"[^"]*"', "Q", line)
            line = re.sub(r"\d+", "N", line)
            out.add(line[:160])
    return out


# --------------------------------------------------------------------------------------------
# Seeds.
# --------------------------------------------------------------------------------------------

BASE = b"""apiVersion: rollouts.featureflags.dev/v1alpha1
kind: FeatureRollout
metadata:
  name: quick
  namespace: shop
spec:
  targets:
    - kind: Deployment
      name: web
  flags:
    - name: new-checkout
      envVar: NEW_CHECKOUT
      description: The new checkout page
  prometheus:
    address: http://prometheus.monitoring.svc:9090
  analysis:
    gates:
      - name: error-rate
        query: sum(rate(errors_total[1m]))
        critical: {above: 0.05}
  phases:
    - name: checkout
      enable: [new-checkout]
      steps:
        - {percent: 10, pause: 30s}
        - {percent: 100}
      gates: [error-rate]
"""


def alias_bomb(levels: int, width: int, where: str = "spec") -> bytes:
    lines = [b"apiVersion: rollouts.featureflags.dev/v1alpha1", b"kind: FeatureRollout", b"metadata: {name: bomb}"]
    lines.append(b"x0: &b0 [" + b", ".join([b"lol"] * width) + b"]")
    for l in range(1, levels + 1):
        lines.append(f"x{l}: &b{l} [".encode() + b", ".join([f"*b{l - 1}".encode()] * width) + b"]")
    if where == "spec":
        lines.append(f"spec: *b{levels}".encode())
    elif where == "key":
        lines.append(f"? *b{levels}\n: key".encode())
    elif where == "description":
        lines.append(b"spec: {flags: [{name: a, envVar: A, description: *b%d}]}" % levels)
    return b"\n".join(lines) + b"\n"


def generated_seeds() -> dict:
    """Hostile inputs too big (or too regular) to keep as files."""
    g = {}
    mib = 1 << 20
    g["gen-deep-seq-10000.yaml"] = BASE.replace(b"spec:\n", b"extra: " + b"[" * 10000 + b"]" * 10000 + b"\nspec:\n", 1)
    g["gen-deep-seq-unclosed-100000.yaml"] = BASE + b"spec: " + b"[" * 100000 + b"\n"
    g["gen-deep-map-10000.yaml"] = BASE.replace(b"spec:\n", b"extra: " + b"{a: " * 10000 + b"x" + b"}" * 10000 + b"\nspec:\n", 1)
    g["gen-deep-seq-in-kind-10000.yaml"] = BASE.replace(b"kind: FeatureRollout", b"kind: " + b"[" * 10000 + b"]" * 10000)
    block = b"".join(b"  " * i + b"k:\n" for i in range(2000)) + b"  " * 2000 + b"k: v\n"
    g["gen-deep-block-2000.yaml"] = BASE + b"extra:\n" + b"\n".join(b"  " + l for l in block.split(b"\n"))
    g["gen-deep-dash-5000.yaml"] = BASE + b"extra: " + b"- " * 5000 + b"x\n"
    long = b"a" * mib
    g["gen-long-description-1MiB.yaml"] = BASE.replace(b"The new checkout page", long)
    g["gen-long-name-1MiB.yaml"] = BASE.replace(b"name: quick", b"name: " + long)
    g["gen-long-kind-1MiB.yaml"] = BASE.replace(b"kind: FeatureRollout", b"kind: " + long)
    g["gen-long-key-1MiB.yaml"] = BASE + b"  " + b"k" * mib + b": v\n"
    g["gen-long-quoted-1MiB.yaml"] = BASE.replace(b"The new checkout page", b'"' + b"\\u00e9" * (mib // 6) + b'"')
    g["gen-long-comment-1MiB.yaml"] = BASE + b"# " + b"c" * mib + b"\n"
    g["gen-long-block-scalar-1MiB.yaml"] = BASE.replace(
        b"description: The new checkout page", b"description: |\n" + (b"        " + b"x" * 1000 + b"\n") * 1024
    )
    g["gen-long-query-1MiB.yaml"] = BASE.replace(b"sum(rate(errors_total[1m]))", b"sum(" * (mib // 8) + b"x" + b")" * (mib // 8))
    g["gen-long-number-100k-digits.yaml"] = BASE.replace(b"percent: 10,", b"percent: " + b"9" * 100000 + b",")
    g["gen-many-steps-100000.yaml"] = BASE.replace(
        b"        - {percent: 100}\n", b"        - {percent: 100}\n" + b"        - {percent: 50}\n" * 100000
    )
    g["gen-many-keys-100000.yaml"] = BASE + b"".join(b"k%d: %d\n" % (i, i) for i in range(100000))
    g["gen-many-flags-20000.yaml"] = BASE.replace(
        b"  prometheus:\n", b"".join(b"    - {name: f%d, envVar: F%d}\n" % (i, i) for i in range(20000)) + b"  prometheus:\n"
    )
    g["gen-many-docs-20000.yaml"] = b"---\n" * 20000 + BASE
    g["gen-many-rollouts-2000.yaml"] = b"---\n".join(BASE.replace(b"name: quick", b"name: r%d" % i) for i in range(2000))
    g["gen-many-anchors-50000.yaml"] = BASE + b"extra: [" + b", ".join(b"&a%d x" % i for i in range(50000)) + b"]\n"
    g["gen-many-aliases-200000.yaml"] = BASE + b"extra: [&a x, " + b", ".join([b"*a"] * 200000) + b"]\n"
    for levels, width in ((3, 10), (5, 10), (6, 10), (7, 10), (9, 10), (20, 2), (30, 2)):
        g[f"gen-alias-bomb-{levels}x{width}.yaml"] = alias_bomb(levels, width)
    g["gen-alias-bomb-key-6x10.yaml"] = alias_bomb(6, 10, "key")
    g["gen-alias-bomb-description-9x10.yaml"] = alias_bomb(9, 10, "description")
    # Few nodes, big scalars: an alias copies its anchor's text each time it is expanded.
    head = b"apiVersion: rollouts.featureflags.dev/v1alpha1\nkind: FeatureRollout\nmetadata: {name: amp}\n"
    g["gen-alias-scalar-100KiBx10000.yaml"] = head + b"s: &s " + b"y" * 100000 + b"\nspec: {flags: [" + b", ".join([b"*s"] * 10000) + b"]}\n"
    g["gen-alias-scalar-1MiBx1000.yaml"] = head + b"s: &s " + long + b"\nspec: {flags: [" + b", ".join([b"*s"] * 1000) + b"]}\n"
    g["gen-alias-key-1MiBx100.yaml"] = head + b"s: &s " + long + b"\nspec: {" + b", ".join([b"*s : %d" % i for i in range(100)]) + b"}\n"
    # The same, with the flow sequence left open: the syntax error comes after ~2 GiB of copies,
    # and bad_alloc then escaped main as std::terminate (SIGABRT) at 9ffe8e7.
    g["gen-alias-scalar-unclosed-34KBx61000.yaml"] = b"amp: &amp " + b"z" * 34782 + b"\namp_use: [" + b", ".join([b"*amp"] * 61065) + b"\n"
    g["gen-alias-description-1MiBx50.yaml"] = head + b"d: &d " + long + b"\nspec:\n  flags:\n" + b"".join(
        b"    - {name: f%d, envVar: F%d, description: *d}\n" % (i, i) for i in range(50))
    merge = [b"apiVersion: rollouts.featureflags.dev/v1alpha1", b"kind: FeatureRollout", b"metadata: {name: merge}"]
    merge.append(b"m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8}")
    for l in range(1, 12):
        merge.append(f"m{l}: &m{l} {{<<: [*m{l - 1}, *m{l - 1}], k{l}: [*m{l - 1}, *m{l - 1}, *m{l - 1}, *m{l - 1}]}}".encode())
    merge.append(b"spec: *m11")
    g["gen-merge-bomb-11.yaml"] = b"\n".join(merge) + b"\n"
    return g


def load_seeds(seed_dirs) -> list:
    """[(name, bytes)] in a fixed order."""
    seeds = []
    files = sorted((REPO / "crds" / "samples").glob("*.yaml"))
    files += [REPO / "hack" / "demo" / "rollout.yaml"]
    files += sorted((REPO / "tests" / "plugin" / "lint").glob("*.yaml"))
    for d in seed_dirs:
        files += sorted(p for p in Path(d).iterdir() if p.is_file() and p.name not in ("README.md", ".gitattributes"))
    for p in files:
        st = os.lstat(p) if os.path.lexists(p) else None
        # Regular files only, and not huge: a seed symlinked to /dev/zero must not hang the fuzzer.
        if st is not None and stat.S_ISREG(st.st_mode) and st.st_size <= MAX_INPUT:
            try:
                name = str(p.relative_to(REPO))
            except ValueError:
                name = str(p)
            seeds.append((name, p.read_bytes()))
    for name, data in generated_seeds().items():
        seeds.append(("generated:" + name, data))
    return seeds


# --------------------------------------------------------------------------------------------
# Mutators. Every one takes (rng, data, corpus) and returns bytes; they work on bytes throughout
# so that invalid UTF-8, NULs and CRs survive.
# --------------------------------------------------------------------------------------------

BAD_UTF8 = [
    b"\xc0", b"\xff", b"\xfe", b"\x80", b"\xc3\x28", b"\xc0\x80", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xf8\x88\x80\x80\x80", b"\xef\xbf\xbe", b"\xa0\xa1", b"\xe0\x80\xaf", b"\x00", b"\x1b[31m", b"\xef\xbb\xbf",
    b"\xc2\x85", b"\xe2\x80\xa8",
]
INTERESTING_BYTES = b"\x00\xff\xc0\x80\xfe\t\r\n:-&*![]{}\"'#%|>?<,@`~\\ "
TOKENS = [
    b": ", b"- ", b"&a ", b"*a", b"? ", b"|", b">-", b"---\n", b"...\n", b"%YAML 1.1\n", b"\t", b"\r\n", b"\x00",
    b"\xef\xbb\xbf", b'"', b"'", b"#", b"[", b"{", b"}", b"]", b"!!", b"<<: ", b"!foo ", b"&", b"*", b"\\", b"\\u",
    b'"\\x', b"\n  ", b"\n- ", b",", b"~", b"null", b"1e999", b"-", b"%TAG ! tag:x,2000:\n",
]
TAGS = [
    b"!!binary", b"!!set", b"!!timestamp", b"!!str", b"!!int", b"!!float", b"!!bool", b"!!null", b"!!map", b"!!seq",
    b"!!omap", b"!!pairs", b"!foo", b"!", b"!<tag:yaml.org,2002:str>", b"!<!>", b"!e!foo", b"!!python/object:os.system",
    b"!!merge", b"!!value", b"!!yaml",
]
SCALARS = [
    b"[x]", b"[]", b"{}", b"{a: 1}", b"0", b"-1", b"1", b"100", b"101", b"true", b"false", b"yes", b"no", b"on", b"null",
    b"~", b'""', b"''", b"1e400", b"-1e400", b"1e-400", b"99999999999999999999999", b"-9223372036854775809",
    b"9223372036854775807", b"18446744073709551615", b"18446744073709551616", b"0x7fffffffffffffff", b"0xffffffffffffffffff",
    b"0o777", b"0b101", b"0777", b"1_000", b".5", b"+12", b"-0", b"-0.0", b"1.7976931348623157e308", b"4.9e-324", b".nan",
    b".inf", b"-.inf", b"!!binary aGVsbG8=", b"!!timestamp 2001-12-14t21:59:43.10-05:00", b"!foo bar", b"*undefined",
    b"&a x", b'"\\xc0"', b'"\\u0000"', b'"\\uD800"', b'"\\U0010FFFF"', b'"\\U00110000"', b"'p\xff'", b'"p\xc0"',
    b"p\xc0", b"|\n  block", b">\n  folded", b"|-", b"|+", b"|9", b"- x", b"? x", b"<<", b"=", b"!!set {a, b}", b"{a, b}",
    b"[a, [b, [c]]]", b"{? [a]: b}", b"[a: b]", b"10s", b"-5s", b"1h2m3s", b"0s", b"9999999999h", b"1.5", b"1e3", b"1E3",
    b"2001-12-14", b"12:30:00", b"@x", b"`x", b"%x", b"x #c", b"'it''s'", b'"\\"', b'"a\\\nb"', b"web.rollout", b"A" * 64,
    b"a" * 253, b"-a-", b"a--b", b"_", b"", b" ", b"\t",
]
KEYS = [
    b"kind", b"apiVersion", b"metadata", b"name", b"namespace", b"spec", b"targets", b"flags", b"phases", b"steps",
    b"percent", b"pause", b"gates", b"analysis", b"prometheus", b"address", b"query", b"critical", b"warning", b"above",
    b"below", b"onNoData", b"enable", b"disable", b"onFailure", b"rollback", b"paused", b"progressDeadline", b"envVar",
    b"default", b"description", b"configMapName", b"delivery", b"file", b"env", b"propagation", b"allowance",
    b"exposureQuery", b"interval", b"timeout", b"containers", b"labels", b"annotations", b"status", b"<<",
]

KV_RE = re.compile(rb"^(?P<pre>[ \t]*(?:- )*)(?P<key>[A-Za-z_<][\w.<-]*|\"[^\"\n]*\"|'[^'\n]*'):(?P<sp>[ \t]+|$)(?P<val>[^\n#]*?)(?P<post>[ \t]*(?:#[^\n]*)?)$")
FLOW_PAIR_RE = re.compile(rb"(?P<pre>[{,][ \t]*)(?P<key>[A-Za-z_][\w.-]*)(?P<sep>:[ \t]+)(?P<val>[^,{}\[\]\n]*)")


def _lines(data: bytes) -> list:
    return data.split(b"\n")


def _join(lines) -> bytes:
    return b"\n".join(lines)


def _kv_sites(lines):
    """[(line index, match)] of block `key: value` lines."""
    out = []
    for i, l in enumerate(lines):
        m = KV_RE.match(l.rstrip(b"\r"))
        if m:
            out.append((i, m))
    return out


def _value_sites(data: bytes):
    """(start, end) byte spans of scalar values: block `key: value` and flow `k: v` values."""
    spans = []
    pos = 0
    for l in data.split(b"\n"):
        m = KV_RE.match(l.rstrip(b"\r"))
        if m and m.group("val"):
            spans.append((pos + m.start("val"), pos + m.end("val")))
        for fm in FLOW_PAIR_RE.finditer(l):
            if fm.group("val").strip():
                spans.append((pos + fm.start("val"), pos + fm.end("val")))
        pos += len(l) + 1
    return spans


def _anchor(rng) -> bytes:
    return b"a%d" % rng.randrange(1000)


def _nest(rng, depth: int) -> bytes:
    kind = rng.randrange(4)
    if kind == 0:
        return b"[" * depth + b"x" + b"]" * depth
    if kind == 1:
        return b"{a: " * depth + b"x" + b"}" * depth
    if kind == 2:
        return b"[{a: " * (depth // 2) + b"x" + b"}]" * (depth // 2)
    return b"[" * depth  # unclosed


def _depth(rng) -> int:
    return int(2 ** rng.uniform(1, 17))  # 2 .. 131072, log-uniform


def _regex_bait(rng) -> bytes:
    """A long run of what a CRD pattern accepts, then one byte it does not: the input that makes a
    backtracking regex engine (std::regex) take exponential time or recurse per character."""
    prefix = rng.choice([b"", b"/", b"a", b"1", b"http://", b"-"])
    unit = rng.choice([b"a", b"a/", b"a-", b"a.", b"a.a", b"1", b"1s", b"1.5", b"0.", b"A", b"_", b"ab/"])
    n = int(2 ** rng.uniform(3, 15.5))
    end = rng.choice([b"!", b"-", b"/", b".", b"", b"\xc0", b"A", b"a", b" ", b"x"])
    return prefix + unit * n + end


def _random_scalar(rng) -> bytes:
    r = rng.random()
    if r < 0.08:
        return _regex_bait(rng)
    if r < 0.7:
        return rng.choice(SCALARS)
    if r < 0.8:
        return rng.choice(TAGS) + b" " + rng.choice(SCALARS)
    if r < 0.87:
        return _nest(rng, _depth(rng))
    if r < 0.93:
        return b"x" * int(2 ** rng.uniform(6, 20))
    if r < 0.97:
        return b"9" * int(2 ** rng.uniform(4, 14))
    return b"*" + _anchor(rng)


# byte level


def m_flip_bit(rng, data, corpus):
    if not data:
        return b"\x00"
    b = bytearray(data)
    i = rng.randrange(len(b))
    b[i] ^= 1 << rng.randrange(8)
    return bytes(b)


def m_set_byte(rng, data, corpus):
    if not data:
        return bytes([rng.choice(INTERESTING_BYTES)])
    b = bytearray(data)
    b[rng.randrange(len(b))] = rng.choice(INTERESTING_BYTES) if rng.random() < 0.7 else rng.randrange(256)
    return bytes(b)


def m_insert_bytes(rng, data, corpus):
    i = rng.randrange(len(data) + 1)
    if rng.random() < 0.6:
        ins = rng.choice(TOKENS)
    else:
        ins = bytes(rng.randrange(256) for _ in range(rng.randint(1, 8)))
    return data[:i] + ins + data[i:]


def m_delete_bytes(rng, data, corpus):
    if not data:
        return data
    i = rng.randrange(len(data))
    n = min(len(data) - i, int(2 ** rng.uniform(0, 8)))
    return data[:i] + data[i + n :]


def m_duplicate_bytes(rng, data, corpus):
    if not data:
        return data
    i = rng.randrange(len(data))
    n = min(len(data) - i, int(2 ** rng.uniform(0, 8)))
    j = rng.randrange(len(data) + 1)
    return data[:j] + data[i : i + n] + data[j:]


def m_truncate(rng, data, corpus):
    if not data:
        return data
    return data[: rng.randrange(len(data))]


# line level


def m_splice_lines(rng, data, corpus):
    other = _lines(rng.choice(corpus)[1])
    lines = _lines(data)
    a = rng.randrange(len(other))
    n = rng.randint(1, 12)
    chunk = other[a : a + n]
    if rng.random() < 0.5:  # re-indent the chunk to the target line's indentation
        j = rng.randrange(len(lines) + 1)
        ref = lines[j] if j < len(lines) else b""
        ind = len(ref) - len(ref.lstrip(b" "))
        base = min((len(c) - len(c.lstrip(b" ")) for c in chunk if c.strip()), default=0)
        chunk = [b" " * ind + c[base:] if c.strip() else c for c in chunk]
    else:
        j = rng.randrange(len(lines) + 1)
    if rng.random() < 0.3 and j < len(lines):  # replace instead of insert
        return _join(lines[:j] + chunk + lines[j + len(chunk) :])
    return _join(lines[:j] + chunk + lines[j:])


def m_line_op(rng, data, corpus):
    lines = _lines(data)
    if not lines:
        return data
    i = rng.randrange(len(lines))
    op = rng.randrange(5)
    if op == 0:
        del lines[i]
    elif op == 1:
        lines.insert(i, lines[i])
    elif op == 2:
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == 3:
        d = rng.choice([-4, -2, -1, 1, 2, 4])
        lines[i] = lines[i][-d:] if d < 0 and lines[i][:-d].strip() == b"" else (b" " * max(d, 0)) + lines[i]
    else:
        s = lines[i]
        ind = len(s) - len(s.lstrip(b" "))
        lines[i] = b"\t" * rng.randint(1, 2) + s[ind:] if rng.random() < 0.5 else s[:ind] + b"\t" + s[ind:]
    return _join(lines)


# token-aware YAML mutations


def m_replace_value(rng, data, corpus):
    spans = _value_sites(data)
    if not spans:
        return m_insert_bytes(rng, data, corpus)
    a, b = rng.choice(spans)
    return data[:a] + _random_scalar(rng) + data[b:]


def m_retype_identity(rng, data, corpus):
    """kind, apiVersion, metadata.name/namespace: a list, a map, a number, a bool, null, a tag, nothing."""
    lines = _lines(data)
    sites = [(i, m) for i, m in _kv_sites(lines) if m.group("key") in (b"kind", b"apiVersion", b"name", b"namespace")]
    if not sites:
        return m_replace_value(rng, data, corpus)
    i, m = rng.choice(sites)
    v = rng.choice([b"[x]", b"[]", b"{}", b"{a: b}", b"0", b"1.5", b"true", b"null", b"~", b"!!binary RmVhdHVyZVJvbGxvdXQ=",
                    b"*a", b"&a FeatureRollout", b"- x", b"'FeatureRollout\xc0'", b"FeatureRollout\x00", b"!!set {a}",
                    b"!!str 12", b"\"\"", b"2001-12-14", b"[" * 10000, b"FEATUREROLLOUT", b"FeatureRollout # x",
                    b"|\n  FeatureRollout"])
    line = lines[i]
    lines[i] = line[: m.start("sp")] + b" " + v + line[m.end("val") :]
    return _join(lines)


def m_duplicate_key(rng, data, corpus):
    lines = _lines(data)
    sites = _kv_sites(lines)
    if rng.random() < 0.3 or not sites:
        fs = list(FLOW_PAIR_RE.finditer(data))
        if fs:
            fm = rng.choice(fs)
            dup = b", " + fm.group("key") + b": " + _random_scalar(rng)
            return data[: fm.end()] + dup + data[fm.end() :]
        return data
    i, m = rng.choice(sites)
    pre = m.group("pre").replace(b"- ", b"  ")
    new = pre + m.group("key") + b": " + (_random_scalar(rng) if rng.random() < 0.8 else m.group("val"))
    j = i + 1
    ind = len(pre)
    while rng.random() < 0.5 and j < len(lines) and (len(lines[j]) - len(lines[j].lstrip(b" ")) > ind or not lines[j].strip()):
        j += 1  # after the first key's children
    lines.insert(j, new)
    return _join(lines)


def m_alias(rng, data, corpus):
    """Anchor one value and alias it elsewhere (or inside itself)."""
    lines = _lines(data)
    sites = _kv_sites(lines)
    if len(sites) < 1:
        return data
    a = _anchor(rng)
    i, m = rng.choice(sites)
    line = lines[i]
    lines[i] = line[: m.end("sp")] + b"&" + a + b" " + line[m.end("sp") :] if m.group("sp") else line + b" &" + a
    op = rng.randrange(4)
    if op == 0 and len(sites) > 1:  # alias elsewhere
        j, mj = rng.choice(sites)
        lj = lines[j]
        mj = KV_RE.match(lj.rstrip(b"\r"))
        if mj:
            lines[j] = lj[: mj.start("sp")] + b" *" + a + lj[mj.end("val") :]
    elif op == 1:  # self-reference through a child
        ind = len(m.group("pre")) + 2
        if not m.group("val"):
            lines.insert(i + 1, b" " * ind + b"self: *" + a)
        else:
            lines[i] = line[: m.end("sp")] + b"&" + a + b" {x: *" + a + b"}"
    elif op == 2:  # an alias to an anchor that is not there (yet)
        lines.insert(rng.randrange(len(lines) + 1), b"early: *" + a)
    else:  # a second anchor of the same name
        j, mj = rng.choice(sites)
        lj = lines[j]
        mj = KV_RE.match(lj.rstrip(b"\r"))
        if mj and mj.group("val"):
            lines[j] = lj[: mj.end("sp")] + b"&" + a + b" " + lj[mj.end("sp") :]
    return _join(lines)


def m_alias_bomb(rng, data, corpus):
    if rng.random() < 0.3:  # amplification: one long scalar, many aliases of it
        p = b"amp%d" % rng.randrange(100)
        n = int(2 ** rng.uniform(4, 17))
        size = int(2 ** rng.uniform(8, 18))
        lines = _lines(data)
        at = rng.randrange(len(lines) + 1)
        lines[at:at] = [p + b": &" + p + b" " + b"z" * size, p + b"_use: [" + b", ".join([b"*" + p] * n) + b"]"]
        return _join(lines)
    levels = rng.randint(2, 12)
    width = rng.randint(2, 12)
    p = b"b%d_" % rng.randrange(100)
    bomb = [p + b"0: &" + p + b"0 [" + b", ".join([b"lol"] * width) + b"]"]
    for l in range(1, levels + 1):
        bomb.append(p + b"%d: &" % l + p + b"%d [" % l + b", ".join([b"*" + p + b"%d" % (l - 1)] * width) + b"]")
    lines = _lines(data)
    tops = [i for i, l in enumerate(lines) if KV_RE.match(l) and not l.startswith((b" ", b"\t", b"-"))]
    at = rng.choice(tops) if tops else 0
    lines[at:at] = bomb
    top = b"*" + p + b"%d" % levels
    sites = [(i, m) for i, m in _kv_sites(lines) if i > at + len(bomb)]
    if sites and rng.random() < 0.8:
        i, m = rng.choice(sites)
        l = lines[i]
        lines[i] = l[: m.start("sp")] + b" " + top + l[m.end("val") :]
    return _join(lines)


def m_merge_key(rng, data, corpus):
    lines = _lines(data)
    sites = [(i, m) for i, m in _kv_sites(lines)]
    if not sites:
        return data
    i, m = rng.choice(sites)
    pre = m.group("pre").replace(b"- ", b"  ")
    a = _anchor(rng)
    choice = rng.randrange(5)
    if choice == 0:  # anchor a mapping and merge it into a sibling mapping
        j, mj = rng.choice(sites)
        lj = lines[j]
        if not mj.group("val"):
            lines[j] = lj.rstrip() + b" &" + a
        merged = pre + b"<<: *" + a
    elif choice == 1:
        merged = pre + b"<<: {" + rng.choice(KEYS) + b": " + rng.choice(SCALARS) + b"}"
    elif choice == 2:
        merged = pre + b"<<: [*" + a + b", *" + a + b"]"
    elif choice == 3:
        merged = pre + b"<<: " + rng.choice(SCALARS)
    else:
        merged = pre + b"<<: &" + a + b" {<<: *" + a + b"}"
    lines.insert(i + (1 if rng.random() < 0.5 else 0), merged)
    return _join(lines)


def m_tag(rng, data, corpus):
    spans = _value_sites(data)
    if not spans:
        return data
    a, _b = rng.choice(spans)
    return data[:a] + rng.choice(TAGS) + b" " + data[a:]


def m_invalid_utf8(rng, data, corpus):
    bad = rng.choice(BAD_UTF8)
    where = rng.randrange(4)
    lines = _lines(data)
    if where == 0:  # in a value
        spans = _value_sites(data)
        if spans:
            a, b = rng.choice(spans)
            k = rng.randint(a, b)
            return data[:k] + bad + data[k:]
    if where == 1:  # in a key
        sites = _kv_sites(lines)
        if sites:
            i, m = rng.choice(sites)
            k = rng.randint(m.start("key"), m.end("key"))
            lines[i] = lines[i][:k] + bad + lines[i][k:]
            return _join(lines)
    if where == 2:  # in a comment
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + b"  # note " + bad
        return _join(lines)
    k = rng.randrange(len(data) + 1)
    return data[:k] + bad + data[k:]


def m_deepen(rng, data, corpus):
    spans = _value_sites(data)
    d = _depth(rng)
    if spans and rng.random() < 0.8:
        a, b = rng.choice(spans)
        inner = data[a:b]
        if rng.random() < 0.5:
            nested = b"[" * d + inner + b"]" * d
        else:
            nested = b"{k: " * d + inner + b"}" * d
        return data[:a] + nested + data[b:]
    lines = _lines(data)
    i = rng.randrange(len(lines) + 1)
    d = min(d, 3000)
    block = [b"  " * k + b"n:" for k in range(d)] + [b"  " * d + b"n: x"]
    lines[i:i] = [b"deep:"] + [b"  " + l for l in block]
    return _join(lines)


def m_complex_key(rng, data, corpus):
    lines = _lines(data)
    i = rng.randrange(len(lines) + 1)
    ref = lines[i] if i < len(lines) else b""
    ind = ref[: len(ref) - len(ref.lstrip(b" "))]
    k = rng.choice([b"? [a]\n%s: b", b"? {a: 1}\n%s: b", b"[a]: b", b"{a: 1}: b", b"? |\n%s  block\n%s: v", b"? *a\n%s: v",
                    b"? \n%s: v", b"? x\n%s? x", b'"\\xc0": v', b"? [a, [b, {c: d}]]\n%s: [e]"])
    k = k.replace(b"%s", ind)
    lines.insert(i, ind + k)
    return _join(lines)


def m_stream(rng, data, corpus):
    op = rng.randrange(11)
    if op == 0:
        return b"\xef\xbb\xbf" + data
    if op == 1:
        return data.replace(b"\n", b"\r\n")
    if op == 2:
        return data.replace(b"\n", b"\r")
    if op == 3:
        return rng.choice([b"%YAML 1.1\n---\n", b"%YAML 1.2\n---\n", b"%YAML 2.0\n---\n", b"%TAG ! tag:example.com,2000:\n---\n",
                           b"%TAG !e! tag:e.com:\n--- !e!doc\n", b"%FOO bar\n---\n", b"%YAML 1.1\n%YAML 1.1\n---\n"]) + data
    if op == 4:
        garbage = rng.choice([b"", b"---", b"...", b"~", b"[", b"{", b"- x", b"x", b"null", b"\x00", b"!!binary x", b"*a",
                              b"&a", b"kind: FeatureRollout", b"kind: [x]", b"? x"])
        return data + b"\n---\n" + garbage + b"\n"
    if op == 5:
        lines = _lines(data)
        i = rng.randrange(len(lines) + 1)
        lines.insert(i, rng.choice([b"---", b"...", b"--- |", b"--- >", b"--- !foo", b"--- &a", b"--- *a", b"--- #c"]))
        return _join(lines)
    if op == 6:
        return data + b"\x00" * rng.randint(1, 4)
    if op == 7:
        return data.replace(b"  ", b"\t")
    if op == 8:
        return data + b"\n---\n" + rng.choice(corpus)[1]
    if op == 9:
        return data.rstrip(b"\n")
    return data.replace(b"\n", b"\n" + b" " * rng.randint(1, 3), rng.randint(1, 3))


MUTATORS = [
    (m_flip_bit, 6), (m_set_byte, 6), (m_insert_bytes, 8), (m_delete_bytes, 5), (m_duplicate_bytes, 3), (m_truncate, 3),
    (m_splice_lines, 8), (m_line_op, 6), (m_replace_value, 14), (m_retype_identity, 6), (m_duplicate_key, 6),
    (m_alias, 7), (m_alias_bomb, 3), (m_merge_key, 4), (m_tag, 4), (m_invalid_utf8, 8), (m_deepen, 3),
    (m_complex_key, 3), (m_stream, 5),
]
_MUT_FUNCS = [m for m, _w in MUTATORS]
_MUT_WEIGHTS = [w for _m, w in MUTATORS]


def mutate(rng, data: bytes, corpus, without=()) -> tuple:
    """Returns (new bytes, [mutator names])."""
    names = []
    weights = [0 if m.__name__[2:] in without else w for m, w in MUTATORS] if without else _MUT_WEIGHTS
    for _ in range(rng.choice([1, 1, 1, 2, 2, 3, 4, 6])):
        m = rng.choices(_MUT_FUNCS, weights)[0]
        try:
            out = m(rng, data, corpus)
        except (IndexError, ValueError):
            continue
        if len(out) > MAX_INPUT:
            out = out[:MAX_INPUT]
        data = out
        names.append(m.__name__[2:])
    return data, names


# --------------------------------------------------------------------------------------------
# The campaign.
# --------------------------------------------------------------------------------------------


@dataclass
class Finding:
    key: tuple
    cls: str
    command: str
    sig: str
    dir: Path
    first_input: str
    hits: int = 1
    origin: str = ""
    elapsed: float = 0.0


@dataclass
class Stats:
    executions: dict = field(default_factory=lambda: {"lint": 0, "plan": 0})
    by_class: dict = field(default_factory=dict)
    exit_codes: dict = field(default_factory=dict)
    slowest: tuple = (0.0, "", "")  # seconds, command, input path
    max_rss: tuple = (0.0, "", "")  # MiB, command, input path
    over_1s: int = 0
    inputs: int = 0
    slowest_ok: float = 0.0  # the same two figures over the runs that are not findings
    max_rss_ok: float = 0.0


def default_plugin() -> str:
    build = os.environ.get("FRO_BUILD_DIR") or str(REPO / "build")
    return str(Path(build) / "bin" / "kubectl-featurerollout")


def default_out() -> Path:
    logs = os.environ.get("FRO_LOG_DIR") or os.path.join(os.path.expanduser("~"), ".cache", "feature-rollout-operator", "logs")
    return Path(logs) / "blackbox"


def prepare_out(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    if (out / MARKER).exists():  # a previous run of ours: drop only what we wrote
        for sub in ("findings", "extremes", "work"):
            shutil.rmtree(out / sub, ignore_errors=True)
        for f in ("summary.json", "runs.tsv"):
            (out / f).unlink(missing_ok=True)
    (out / MARKER).write_text("written by hack/blackbox-fuzz.py\n")
    (out / "runs.tsv").write_text("input\tcommand\tclass\tstatus\telapsed_s\tpeak_rss_mib\tsignature\n")
    for sub in ("findings", "extremes", "work"):
        (out / sub).mkdir(exist_ok=True)


def plugin_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")}
    env["NO_COLOR"] = "1"
    env["KUBECONFIG"] = "/dev/null"
    env.setdefault("HOME", "/nonexistent")
    return env


class Campaign:
    def __init__(self, args):
        self.args = args
        self.plugin = args.plugin
        self.out = Path(args.out)
        self.env = plugin_env()
        self.stats = Stats()
        self.findings = {}  # key -> Finding
        self.shapes = set()
        self.timeout = args.timeout
        self.mem = args.memory_limit

    def command_argv(self, cmd: str, path: str) -> list:
        return [self.plugin, cmd, path]

    def record(self, r: RunResult):
        cmd, path, origin = r.tag
        cls = classify(r, self.mem)
        st = self.stats
        st.executions[cmd] += 1
        st.by_class[cls] = st.by_class.get(cls, 0) + 1
        code = signal_name(r.signal) if r.signal is not None else ("timeout" if r.timed_out else str(r.exit_code))
        st.exit_codes[code] = st.exit_codes.get(code, 0) + 1
        if r.elapsed > 1.0:
            st.over_1s += 1
        if r.elapsed > st.slowest[0]:
            st.slowest = (r.elapsed, cmd, self.keep_extreme("slowest", path, origin))
        if r.maxrss_mib > st.max_rss[0]:
            st.max_rss = (r.maxrss_mib, cmd, self.keep_extreme("max-rss", path, origin))
        if cls == "ok":
            st.slowest_ok = max(st.slowest_ok, r.elapsed)
            st.max_rss_ok = max(st.max_rss_ok, r.maxrss_mib)
        if cls != "ok":
            self.add_finding(r, cls, cmd, path, origin)
        if cls != "ok" or origin.startswith("seed "):
            with open(self.out / "runs.tsv", "a") as log:
                sig = signature(r, cls, path) if cls != "ok" else ""
                log.write(f"{origin}\t{cmd}\t{cls}\t{r.status_text()}\t{r.elapsed:.3f}\t{r.maxrss_mib:.1f}\t{sig}\n")
        return cls

    def keep_extreme(self, what, path, origin) -> str:
        dst = self.out / "extremes" / (what + ".yaml")
        if os.path.abspath(path) != str(dst):
            shutil.copyfile(path, dst)
            (self.out / "extremes" / (what + ".origin.txt")).write_text(origin + "\n")
        return str(dst)

    def add_finding(self, r, cls, cmd, path, origin):
        sig = signature(r, cls, path)
        key = (cmd, cls, sig)
        f = self.findings.get(key)
        if f:
            f.hits += 1
            if f.hits <= EXAMPLES_KEPT:  # a few more inputs of the same finding, each with its origin
                shutil.copyfile(path, f.dir / f"example-{f.hits}.yaml")
                with open(f.dir / "examples.txt", "a") as ex:
                    ex.write(f"example-{f.hits}.yaml\t{r.status_text()}\t{r.elapsed:.3f} s\t{r.maxrss_mib:.1f} MiB\t{origin}\n")
            return
        n = len(self.findings) + 1
        d = self.out / "findings" / f"{n:03d}-{cls}-{cmd}"
        d.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, d / "input.yaml")
        self.write_finding_files(d, r, cls, cmd, sig, origin)
        self.findings[key] = Finding(key, cls, cmd, sig, d, str(d / "input.yaml"), origin=origin, elapsed=r.elapsed)
        if not self.args.json:
            print(f"finding {n}: {cls} in {cmd}: {sig or '(no stderr)'}  [{d / 'input.yaml'}]", flush=True)

    def write_finding_files(self, d, r, cls, cmd, sig, origin):
        (d / "command.txt").write_text(" ".join([self.plugin, cmd, str(d / "input.yaml")]) + "\n")
        (d / "status.txt").write_text(
            f"class: {cls}\ncommand: {cmd}\nstatus: {r.status_text()}\nelapsed: {r.elapsed:.3f} s\n"
            f"peak RSS: {r.maxrss_mib:.1f} MiB\nsignature: {sig}\norigin: {origin}\n"
            f"stdout bytes: {r.stdout_bytes}\nstderr bytes: {r.stderr_bytes}\n"
        )
        (d / "stderr.txt").write_bytes(r.stderr)
        (d / "stdout.txt").write_bytes(r.stdout[:65536])

    # -- corpus ---------------------------------------------------------------------------

    def run_batch(self, items, stop_at=None):
        """items: [(origin, bytes)] -> [(classes, shapes) or None if not run]; every command per input."""
        work = self.out / "work"
        tasks = []
        for k, (origin, data) in enumerate(items):
            p = work / f"in-{k:03d}.yaml"
            p.write_bytes(data)
            for cmd in self.args.commands:
                tasks.append((self.command_argv(cmd, str(p)), (cmd, str(p), origin)))
        results = run_many(tasks, jobs=self.args.jobs, timeout=self.timeout, env=self.env, stop_at=stop_at)
        per = len(self.args.commands)
        out = []
        for k in range(len(items)):
            rs = [r for r in results[k * per : (k + 1) * per] if r is not None]
            if not rs:
                out.append(None)
                continue
            self.stats.inputs += 1
            classes = [self.record(r) for r in rs]
            shapes = set()
            for r in rs:
                shapes |= {(r.tag[0], s) for s in message_shapes(r, r.tag[1])}
            out.append((classes, shapes))
        return out

    def run(self):
        args = self.args
        seeds = load_seeds(args.seed_dir)
        if args.exclude_seeds:
            seeds = [(n, d) for n, d in seeds if not re.search(args.exclude_seeds, n)]
        corpus = list(seeds)
        added = 0
        start = time.monotonic()
        deadline = start + args.seconds if args.seconds else None
        total_runs = 0
        budget_runs = args.runs

        def out_of_budget():
            if deadline and time.monotonic() >= deadline:
                return True
            return budget_runs is not None and total_runs >= budget_runs

        # Pass 1: every seed as it is.
        batch_size = 16
        b = 0
        for i in range(0, 0 if args.skip_seed_pass else len(seeds), batch_size):
            if out_of_budget():
                break
            chunk = seeds[i : i + batch_size]
            if budget_runs is not None:
                chunk = chunk[: max(1, (budget_runs - total_runs) // len(args.commands))]
            res = self.run_batch([(f"seed {n}", d) for n, d in chunk], stop_at=deadline)
            total_runs += len(chunk) * len(args.commands)
            for r in res:
                if r:
                    self.shapes |= r[1]
        # Pass 2: mutations.
        while not out_of_budget():
            b += 1
            items = []
            n_items = batch_size
            if budget_runs is not None:
                n_items = min(n_items, max(1, (budget_runs - total_runs) // len(args.commands)))
            for k in range(n_items):
                rng = random.Random(f"{args.seed}:{b}:{k}")
                if len(corpus) > len(seeds) and rng.random() < 0.4:
                    name, data = corpus[rng.randrange(len(seeds), len(corpus))]
                else:
                    name, data = seeds[rng.randrange(len(seeds))]
                if len(data) > (256 << 10) and rng.random() < 0.8:  # big seeds: mostly skip, they are slow
                    name, data = seeds[rng.randrange(len(seeds))]
                data, muts = mutate(rng, data, corpus, args.without)
                items.append((f"{name.split(' <- ')[0]} <- {'+'.join(muts)} (seed {args.seed} batch {b} item {k})", data))
            res = self.run_batch(items, stop_at=deadline)
            total_runs += len(items) * len(args.commands)
            for (origin, data), r in zip(items, res):
                if r is None:
                    continue
                new = r[1] - self.shapes
                if new:
                    self.shapes |= new
                    if len(data) <= (256 << 10) and added < 4000:
                        corpus.append((origin, data))
                        added += 1
        self.elapsed = time.monotonic() - start
        self.corpus_added = added
        self.seed_count = len(seeds)
        if args.minimize_seconds > 0:
            self.minimize_all(args.minimize_seconds)
        shutil.rmtree(self.out / "work", ignore_errors=True)

    # -- minimisation -------------------------------------------------------------------------

    def reproduces(self, f: Finding, data: bytes, path: Path) -> bool:
        path.write_bytes(data)
        r = run_one(self.command_argv(f.command, str(path)), timeout=self.timeout, env=self.env)
        return classify(r, self.mem) == f.cls and signature(r, f.cls, str(path)) == f.sig

    def minimize_all(self, seconds):
        # Timeouts cost 10 s a try: not minimised. Memory findings only when a try is quick.
        todo = [f for f in self.findings.values()
                if f.cls in ("crash", "silent", "exit") or (f.cls == "memory" and f.elapsed < 2.5)]
        if not todo:
            return
        end = time.monotonic() + seconds
        per = seconds / len(todo)
        for f in todo:
            now = time.monotonic()
            if now >= end:
                break
            data = Path(f.first_input).read_bytes()
            small = ddmin(data, lambda d: self.reproduces(f, d, self.out / "work" / "min.yaml"), min(now + per, end))
            if len(small) < len(data):
                (f.dir / "min.yaml").write_bytes(small)

    # -- report ---------------------------------------------------------------------------

    def figures(self) -> dict:
        st = self.stats
        execs = st.executions["lint"] + st.executions["plan"]
        by_class = {c: 0 for c in FINDING_CLASSES}
        distinct = {c: 0 for c in FINDING_CLASSES}
        for c, n in st.by_class.items():
            if c != "ok":
                by_class[c] = n
        for f in self.findings.values():
            distinct[f.cls] += 1
        return {
            "plugin": self.plugin,
            "seed": self.args.seed,
            "jobs": self.args.jobs,
            "budget_seconds": self.args.seconds,
            "elapsed_seconds": round(self.elapsed, 1),
            "executions": execs,
            "executions_by_command": dict(st.executions),
            "inputs": st.inputs,
            "seeds": self.seed_count,
            "corpus_added": self.corpus_added,
            "exec_per_second": round(execs / self.elapsed, 1) if self.elapsed > 0 else 0.0,
            "ok_runs": st.by_class.get("ok", 0),
            "finding_runs_by_class": by_class,
            "distinct_findings_by_class": distinct,
            "runs_over_1s": st.over_1s,
            "slowest_run": {"seconds": round(st.slowest[0], 3), "command": st.slowest[1], "input": st.slowest[2]},
            "highest_peak_rss": {"mib": round(st.max_rss[0], 1), "command": st.max_rss[1], "input": st.max_rss[2]},
            "slowest_ok_run_seconds": round(st.slowest_ok, 3),
            "highest_ok_peak_rss_mib": round(st.max_rss_ok, 1),
            "exit_codes": dict(sorted(st.exit_codes.items())),
            "timeout_seconds": self.timeout,
            "memory_limit_mib": self.mem,
            "out": str(self.out),
            "findings": [
                {
                    "class": f.cls,
                    "command": f.command,
                    "signature": f.sig,
                    "hits": f.hits,
                    "input": f.first_input,
                    "minimized": str(f.dir / "min.yaml") if (f.dir / "min.yaml").exists() else None,
                    "origin": f.origin,
                }
                for f in self.findings.values()
            ],
        }


def ddmin(data: bytes, still_fails, deadline: float) -> bytes:
    """Line-level then byte-level delta debugging, bounded by a deadline."""
    def chunks_pass(units, joiner):
        n = 2
        while len(units) >= 2 and time.monotonic() < deadline:
            size = max(1, len(units) // n)
            reduced = False
            for i in range(0, len(units), size):
                if time.monotonic() >= deadline:
                    break
                cand = units[:i] + units[i + size :]
                if cand and still_fails(joiner(cand)):
                    units = cand
                    n = max(n - 1, 2)
                    reduced = True
                    break
            if not reduced:
                if size == 1:
                    break
                n = min(len(units), n * 2)
        return units

    lines = data.split(b"\n")
    lines = chunks_pass(lines, lambda u: b"\n".join(u))
    data = b"\n".join(lines)
    units = [bytes([c]) for c in data]  # halves first, so long scalars shrink fast
    return b"".join(chunks_pass(units, lambda u: b"".join(u)))


def print_figures(fig: dict, out=sys.stdout) -> None:
    ex = fig["executions_by_command"]
    fr = fig["finding_runs_by_class"]
    dist = fig["distinct_findings_by_class"]
    w = out.write
    w("\nblack-box fuzz figures\n")
    w(f"  plugin:            {fig['plugin']}\n")
    w(f"  seed/jobs/budget:  {fig['seed']} / {fig['jobs']} / {fig['budget_seconds']} s (ran {fig['elapsed_seconds']} s)\n")
    w(f"  executions:        {fig['executions']} (lint {ex.get('lint', 0)}, plan {ex.get('plan', 0)}) on {fig['inputs']} inputs"
      f" ({fig['seeds']} seeds, {fig['corpus_added']} inputs added to the corpus)\n")
    w(f"  exec/s:            {fig['exec_per_second']}\n")
    w("  findings (runs):   " + ", ".join(f"{c} {fr[c]}" for c in FINDING_CLASSES) + "\n")
    w("  findings (distinct): " + ", ".join(f"{c} {dist[c]}" for c in FINDING_CLASSES) + "\n")
    s = fig["slowest_run"]
    w(f"  slowest run:       {s['seconds']:.3f} s ({s['command']}) {s['input']}\n")
    m = fig["highest_peak_rss"]
    w(f"  highest peak RSS:  {m['mib']:.1f} MiB ({m['command']}) {m['input']}\n")
    w(f"  runs that are not findings: slowest {fig['slowest_ok_run_seconds']:.3f} s, highest peak RSS "
      f"{fig['highest_ok_peak_rss_mib']:.1f} MiB\n")
    w(f"  runs over 1 s:     {fig['runs_over_1s']}\n")
    w("  exit codes:        " + ", ".join(f"{k}: {v}" for k, v in fig["exit_codes"].items()) + "\n")
    w(f"  limits:            timeout {fig['timeout_seconds']} s, peak RSS {fig['memory_limit_mib']} MiB, RLIMIT_AS 2 GiB\n")
    w(f"  output:            {fig['out']}\n")
    for f in fig["findings"]:
        w(f"  - {f['class']:7} {f['command']}: {f['signature'] or '(no stderr)'} x{f['hits']}\n")
        w(f"      {f['minimized'] or f['input']}\n")


def parse_args(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--plugin", default=default_plugin(), help="the kubectl-featurerollout binary (default: %(default)s)")
    ap.add_argument("--seconds", type=float, default=None, help="wall-clock budget of the campaign")
    ap.add_argument("--runs", type=int, default=None, help="stop after about this many plugin executions")
    ap.add_argument("--jobs", type=int, default=2, help="plugin processes at once (default 2)")
    ap.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    ap.add_argument("--out", default=None, help="output directory (default $FRO_LOG_DIR/blackbox/<time>-seed<N>)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--seed-dir", action="append", default=None, help="hand-written seed directory, repeatable (default hack/blackbox-seeds); "
                    "the samples, the demo and tests/plugin/lint are always seeds")
    ap.add_argument("--minimize-seconds", type=float, default=60, help="time to minimise crash/silent findings (default 60)")
    ap.add_argument("--commands", default="lint,plan", help="commands to run (default lint,plan)")
    ap.add_argument("--exclude-seeds", metavar="REGEX", help="leave out seeds whose name matches (to look past known findings)")
    ap.add_argument("--without", metavar="MUTATORS", default="", help="comma-separated mutators not to use (e.g. alias_bomb)")
    ap.add_argument("--skip-seed-pass", action="store_true", help="do not run every seed unmutated first")
    ap.add_argument("--timeout", type=float, default=TIMEOUT_S, help=argparse.SUPPRESS)
    ap.add_argument("--memory-limit", type=float, default=MEMORY_LIMIT_MIB, help=argparse.SUPPRESS)
    ap.add_argument("--write-seeds", metavar="DIR", help="write the generated seeds to DIR and exit")
    a = ap.parse_args(argv)
    if a.seed_dir is None:
        a.seed_dir = [str(REPO / "hack" / "blackbox-seeds")]
    a.commands = [c for c in a.commands.split(",") if c]
    names = {m.__name__[2:] for m, _w in MUTATORS}
    a.without = [w for w in a.without.split(",") if w]
    if any(w not in names for w in a.without):
        ap.error(f"--without takes mutator names: {', '.join(sorted(names))}")
    if any(c not in ("lint", "plan") for c in a.commands) or not a.commands:
        ap.error("--commands takes lint and/or plan")
    if a.seconds is None and a.runs is None and not a.write_seeds:
        a.seconds = 60
    if a.jobs < 1:
        ap.error("--jobs must be at least 1")
    if a.out is None:
        a.out = str(default_out() / f"{time.strftime('%Y%m%d-%H%M%S')}-seed{a.seed}")
    return a


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    if args.write_seeds:
        d = Path(args.write_seeds)
        d.mkdir(parents=True, exist_ok=True)
        for name, data in generated_seeds().items():
            (d / name).write_bytes(data)
        print(f"wrote {len(generated_seeds())} generated seeds to {d}")
        return 0
    if not (os.path.isfile(args.plugin) and os.access(args.plugin, os.X_OK)):
        print(f"blackbox-fuzz: no executable plugin at {args.plugin} (build it, or give --plugin)", file=sys.stderr)
        return 2
    args.plugin = os.path.abspath(args.plugin)
    out = Path(args.out)
    prepare_out(out)
    c = Campaign(args)
    if not args.json:
        print(f"black-box fuzzing {args.plugin} ({', '.join(args.commands)}), seed {args.seed}, jobs {args.jobs}, "
              f"budget {args.seconds or '-'} s / {args.runs or '-'} runs, output {out}", flush=True)
    c.run()
    fig = c.figures()
    (out / "summary.json").write_text(json.dumps(fig, indent=2) + "\n")
    if args.json:
        print(json.dumps(fig, indent=2))
    else:
        print_figures(fig)
    return 1 if c.findings else 0


if __name__ == "__main__":
    sys.exit(main())
