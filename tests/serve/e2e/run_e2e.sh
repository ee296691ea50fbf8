#!/usr/bin/env bash
# Runs the `fastserve serve` end-to-end tests (this folder, pytest) against
# the binary given as $1 (what ctest passes), with the repository's venv
# (tools/setup_venv.sh). Exits 77 (ctest's skip code) with the reason when
# the venv or one of its packages is missing; otherwise pytest's exit code.
# Extra arguments go to pytest (e.g. -k batching -x).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../../.." && pwd)"
PY="${FASTSERVE_E2E_PYTHON:-$ROOT/.venv/bin/python}"

if [ $# -lt 1 ]; then
    echo "usage: $0 path/to/fastserve [pytest args...]" >&2
    exit 2
fi
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
shift
if [ ! -x "$BIN" ]; then
    echo "run_e2e: $BIN is not an executable" >&2
    exit 1
fi

if [ ! -x "$PY" ]; then
    echo "run_e2e: SKIP: no Python venv at $PY (run tools/setup_venv.sh)"
    exit 77
fi
if ! missing="$("$PY" - <<'PYEOF'
import importlib.util, sys
need = ["pytest", "requests", "grpc", "grpc_tools", "numpy", "onnx", "onnxruntime"]
gone = [m for m in need if importlib.util.find_spec(m) is None]
print(" ".join(gone))
sys.exit(1 if gone else 0)
PYEOF
)"; then
    echo "run_e2e: SKIP: the venv $PY lacks: $missing (run tools/setup_venv.sh)"
    exit 77
fi
if ! command -v curl >/dev/null; then
    echo "run_e2e: note: curl is not installed; the curl tests will be skipped"
fi

# Server logs and generated files stay under one folder for post-mortems.
BASETEMP="${TMPDIR:-/tmp}/fastserve_e2e.$$"
export FASTSERVE_BINARY="$BIN"
export PYTHONDONTWRITEBYTECODE=1
cd "$HERE"
set +e
"$PY" -m pytest -q -p no:cacheprovider --basetemp "$BASETEMP" "$@" "$HERE"
rc=$?
set -e
if [ "$rc" -eq 0 ]; then
    rm -rf "$BASETEMP"
else
    echo "run_e2e: server logs and test files kept in $BASETEMP"
fi
exit "$rc"
