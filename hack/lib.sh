# Shared helpers for hack/ scripts. Sourced, not executed.
FRO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Built binaries live outside the checkout, keyed by version, so clean clones reuse them.
FRO_CACHE=${FRO_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/feature-rollout-operator}
FRO_LOG_DIR=${FRO_LOG_DIR:-$FRO_CACHE/logs}
mkdir -p "$FRO_CACHE" "$FRO_LOG_DIR"

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[%s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }
