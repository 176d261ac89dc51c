#!/usr/bin/env bash
# One SDK compatibility test (registered with ctest by tests/sdk/CMakeLists.txt):
#   run.sh SDK FIXTURE_BINARY [check.py options]
# SDK: js-core | js-provider | python | java. Writes the operator's flag documents with our own
# code (FIXTURE_BINARY, tests/sdk/SdkFixture.cpp), has the SDK installed by hack/install-sdks.sh
# evaluate them, and judges the result with check.py.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
sdk=$1 fixture_bin=$2; shift 2
case $sdk in js-*) lang=js ;; python) lang=python ;; java) lang=java ;; *) echo "run.sh: unknown SDK $sdk" >&2; exit 2 ;; esac
dir=$("$root/hack/install-sdks.sh" --dir "$lang") || exit 1

work=$(mktemp -d "${TMPDIR:-/tmp}/fro-sdk-$sdk.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$fixture_bin" "$work"
case $sdk in
  js-core) NODE_PATH="$dir/node_modules" node "$here/js/evaluate.js" core "$work" >"$work/result.json" ;;
  js-provider) NODE_PATH="$dir/node_modules" node "$here/js/evaluate.js" provider "$work" >"$work/result.json" ;;
  python) "$dir/venv/bin/python" "$here/python/evaluate.py" "$work" >"$work/result.json" ;;
  # Single-file source launch: nothing to build, the jars are the cache's.
  java) java -cp "$dir/lib/*" "$here/java/Evaluate.java" "$work" >"$work/result.json" ;;
esac
python3 "$here/check.py" "$work/fixture.json" "$work/result.json" "$@"
