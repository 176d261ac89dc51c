#!/usr/bin/env bash
# Clang's thread-safety analysis over the project's sources: every translation unit of a
# configured build (its compile_commands.json) is parsed by clang++ with -Wthread-safety, which
# checks the FRO_GUARDED_BY / FRO_REQUIRES / ... annotations of runtime/common/ThreadSafety.h
# (GCC ignores them). Prints the files checked and every distinct warning; exits 1 on a warning.
#   hack/thread-safety.sh                  every translation unit of the project
#   hack/thread-safety.sh runtime/kube    only sources whose path starts with one of these
# FRO_BUILD_DIR picks the build whose compile commands are used (default: build-thread-safety,
# configured here), FRO_TSA_JOBS the parallel clang processes (default nproc). Installs Debian's
# clang if it is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

if ! command -v clang++ >/dev/null 2>&1; then
  log "installing clang (Debian package)"
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  export DEBIAN_FRONTEND=noninteractive
  apt_log="$FRO_LOG_DIR/apt-clang.log"
  { $sudo_cmd apt-get update -q && $sudo_cmd apt-get install -y -q --no-install-recommends clang; } >"$apt_log" 2>&1 \
    || die "apt-get install clang failed (log: $apt_log)"
fi

# A build directory of its own, configured (never built) on every run, so that its compile commands
# list today's sources; FRO_BUILD_DIR uses another build's as they are.
BUILD=${FRO_BUILD_DIR:-$FRO_ROOT/build-thread-safety}
if [[ -z ${FRO_BUILD_DIR:-} || ! -f $BUILD/compile_commands.json ]]; then
  log "configuring $BUILD for its compile commands"
  cmake -S "$FRO_ROOT" -B "$BUILD" -G Ninja >"$FRO_LOG_DIR/thread-safety-configure.log" 2>&1 \
    || die "cmake configure failed (log: $FRO_LOG_DIR/thread-safety-configure.log)"
fi

log "$(clang++ --version | head -n 1): -Wthread-safety over $BUILD/compile_commands.json"
exec python3 - "$BUILD/compile_commands.json" "$FRO_ROOT" "${FRO_TSA_JOBS:-$(nproc)}" "$@" <<'PY'
import json, os, re, shlex, subprocess, sys
from concurrent.futures import ThreadPoolExecutor

db, root, jobs, prefixes = sys.argv[1], sys.argv[2].rstrip("/") + "/", int(sys.argv[3]), sys.argv[4:]

def ours(path):
    """A source of the checkout (not generated into a build directory), under a given prefix."""
    if not path.startswith(root):
        return False
    rel = path[len(root):]
    if rel.startswith("build") or rel.startswith(".local/"):
        return False
    return not prefixes or any(rel.startswith(p.rstrip("/")) for p in prefixes)

def clang_args(entry):
    """The include paths, macros and language standard of the GCC command; nothing else."""
    args = entry["arguments"] if "arguments" in entry else shlex.split(entry["command"])
    keep, i = [], 1
    while i < len(args):
        a = args[i]
        if a in ("-I", "-isystem", "-D", "-include", "-iquote"):
            keep += [a, args[i + 1]]
            i += 2
            continue
        if re.match(r"^(-I|-isystem|-D|-std=|-iquote)", a):
            keep.append(a)
        i += 1
    return keep

entries, gone = {}, []
for e in json.load(open(db)):
    f = os.path.normpath(os.path.join(e["directory"], e["file"]))
    if not ours(f):
        continue
    if not os.path.exists(f):
        gone.append(f[len(root):])  # removed since the build was configured
        continue
    entries.setdefault(f, e)  # a file built into two targets is checked once
# Sources added since the build was configured are not in its compile commands: say so.
listed = subprocess.run(["git", "-C", root, "ls-files", "--cached", "--others", "--exclude-standard", "*.cpp"],
                        capture_output=True, text=True).stdout.split()
unknown = sorted(f for f in listed if ours(root + f) and root + f not in entries)

def check(item):
    f, e = item
    cmd = ["clang++", "-fsyntax-only", "-Wno-everything", "-Wthread-safety", "-Werror=thread-safety",
           *clang_args(e), f]
    p = subprocess.run(cmd, cwd=e["directory"], capture_output=True, text=True)
    return f, p.returncode, p.stderr

warnings, broken = {}, []
with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
    for f, rc, err in pool.map(check, sorted(entries.items())):
        found = False
        for m in re.finditer(r"^(\S+?):(\d+):\d+: (?:error|warning): (.*?) \[(-W[^\]]*thread-safety[^\]]*)\]$",
                             err, re.M):
            path = os.path.normpath(m.group(1))
            path = path[len(root):] if path.startswith(root) else path
            warnings.setdefault((path, int(m.group(2)), m.group(3)), m.group(4).replace("-Werror,", ""))
            found = True
        other = [l for l in err.splitlines() if re.search(r": (fatal )?error: ", l) and "thread-safety" not in l]
        if (rc != 0 and not found) or other:
            broken.append((f[len(root):], other[0] if other else f"clang exited {rc}"))

print(f"checked {len(entries)} translation units ({', '.join(prefixes) or 'all'}) with -Wthread-safety:")
dirs = {}
for f in entries:
    d = os.path.dirname(f[len(root):])
    dirs[d] = dirs.get(d, 0) + 1
for d, n in sorted(dirs.items()):
    print(f"  {d}: {n}")
print(f"{len(warnings)} distinct thread-safety warnings")
for (path, line, msg), flag in sorted(warnings.items()):
    print(f"  {path}:{line}: {msg} [{flag}]")
if gone or unknown:
    print(f"the compile commands are stale (re-run cmake on the build): {len(gone)} sources gone, "
          f"{len(unknown)} not checked: {', '.join(unknown) or '-'}")
if broken:
    print(f"{len(broken)} translation units clang could not parse (not checked):")
    for f, why in broken:
        print(f"  {f}: {why}")
sys.exit(1 if warnings or broken else 0)
PY
