#!/usr/bin/env bash
# Runs onnx_writer_check.py (onnx.checker and ONNX Runtime on a model that
# `fastserve inspect --dump-graph` wrote) with the repository's venv
# (tools/setup_venv.sh): $FASTSERVE_PYTHON, else .venv of this checkout,
# else .venv of the main checkout when this is a git worktree. Exits 77
# (ctest's skip code) with the reason when no venv has onnx, onnxruntime
# and numpy.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
if [ $# -ne 1 ]; then
    echo "usage: $0 path/to/fastserve" >&2
    exit 2
fi

PY="${FASTSERVE_PYTHON:-}"
if [ -z "$PY" ]; then
    PY="$ROOT/.venv/bin/python"
    if [ ! -x "$PY" ]; then
        common="$(git -C "$ROOT" rev-parse --path-format=absolute --git-common-dir 2>/dev/null || true)"
        [ -n "$common" ] && PY="$(dirname "$common")/.venv/bin/python"
    fi
fi
if [ ! -x "$PY" ]; then
    echo "onnx_writer_check: SKIP: no Python venv (tried \$FASTSERVE_PYTHON, $ROOT/.venv; run tools/setup_venv.sh)"
    exit 77
fi
if ! "$PY" -c 'import onnx, onnxruntime, numpy' 2>/dev/null; then
    echo "onnx_writer_check: SKIP: $PY lacks onnx, onnxruntime or numpy (run tools/setup_venv.sh)"
    exit 77
fi
exec "$PY" "$HERE/onnx_writer_check.py" --fastserve "$1" --root "$ROOT"
