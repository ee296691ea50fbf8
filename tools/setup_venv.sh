#!/usr/bin/env bash
# Creates/updates the Python tooling venv at <repo>/.venv (gitignored).
# Idempotent: safe to run repeatedly; a no-op once everything is installed.
#
# Python is only used for tools/ (model training, test-model and golden-data
# generation), the ONNX node tests that `make test` runs through
# tests/conformance, and the `fastserve serve` end-to-end tests in
# tests/serve/e2e (requests, grpcio, grpcio-tools, pytest, tritonclient and,
# best effort, Triton's perf_analyzer binary). The C++ build and the binary
# never need it.
#
# The venv sees the system site-packages so it can use Debian's torch 1.13 /
# torchvision 0.14 (python3-torch). Debian's torch is compiled against NumPy 1.x,
# so NumPy must stay < 2 in this venv; that in turn needs ml_dtypes < 0.6
# (ml_dtypes 0.6 requires NumPy 2; onnx needs ml_dtypes >= 0.5.4).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"

if [ ! -x "$PY" ]; then
    echo "setup_venv: creating $VENV"
    /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi

# A NumPy 2 inside the venv (e.g. pulled in by an unpinned `pip install onnx`)
# breaks torch<->numpy interop; drop it so the system NumPy 1.x is used.
if "$PY" - <<'PYEOF'
import sys, os
try:
    import numpy
except ImportError:
    sys.exit(1)
in_venv = os.path.realpath(numpy.__file__).startswith(os.path.realpath(sys.prefix))
sys.exit(0 if (in_venv and int(numpy.__version__.split(".")[0]) >= 2) else 1)
PYEOF
then
    echo "setup_venv: removing NumPy >= 2 from the venv (Debian torch needs NumPy 1.x)"
    "$PY" -m pip uninstall -y -q numpy ml_dtypes
fi

# Pinned versions (the ones the committed artifacts were generated with).
# tritonclient: only the [http] extra is named. Its [grpc] extra asks for
# protobuf < 7, which grpcio-tools 1.85 (protobuf >= 7.35) rules out; every
# package tritonclient.grpc imports (grpcio, protobuf, packaging,
# python-rapidjson) is installed anyway, and its generated *_pb2 modules
# (protobuf 6.33 gencode) load under the protobuf 7 runtime.
"$PY" -m pip install -q --disable-pip-version-check \
    "numpy>=1.23.2,<2" \
    "ml_dtypes==0.5.4" \
    "onnx==1.23.2" \
    "onnxruntime==1.32.0" \
    "requests==2.34.2" \
    "grpcio==1.85.4" \
    "grpcio-tools==1.85.4" \
    "pytest==9.2.0" \
    "protobuf==7.36.2" \
    "tritonclient[http]==2.73.0"

# perf_analyzer, Triton's load generator (tests/serve/e2e/test_perf_analyzer.py
# skips without it). PyPI's `perf-analyzer` package is an empty placeholder;
# the binary ships in the data/bin of tritonclient's manylinux wheels up to
# 2.60. 2.51.0 is the last whose binary runs on Debian 12 (2.52+ need glibc
# 2.38); it links libcudart.so.12 (PyPI's nvidia-cuda-runtime-cu12; no GPU is
# used) and libb64.so.0d (Debian's libb64-0d). Only the binary and those two
# libraries are taken, into $VENV/perf_analyzer/, behind the wrapper
# $VENV/bin/perf_analyzer; the Python tritonclient stays the one above.
# Best effort: on any failure it says why and the venv is otherwise complete.
install_perf_analyzer() {  # $1: an empty scratch folder
    local dir="$VENV/perf_analyzer" tmp="$1"
    mkdir -p "$dir/bin" "$dir/lib" || return 1
    "$PY" -m pip download -q --disable-pip-version-check --no-deps -d "$tmp" \
        "tritonclient==2.51.0" "nvidia-cuda-runtime-cu12==12.9.79" || return 1
    "$PY" - "$tmp" "$dir" <<'PYEOF' || return 1
import glob, os, sys, zipfile
tmp, out = sys.argv[1], sys.argv[2]
want = {"tritonclient-2.51.0.data/data/bin/perf_analyzer": "bin/perf_analyzer",
        "nvidia/cuda_runtime/lib/libcudart.so.12": "lib/libcudart.so.12"}
for whl in glob.glob(os.path.join(tmp, "*.whl")):
    with zipfile.ZipFile(whl) as z:
        for member, dest in list(want.items()):
            if member in z.namelist():
                with z.open(member) as src, open(os.path.join(out, dest), "wb") as dst:
                    dst.write(src.read())
                os.chmod(os.path.join(out, dest), 0o755)
                del want[member]
sys.exit(f"setup_venv: perf_analyzer: not found in the wheels: {sorted(want)}" if want else 0)
PYEOF
    # libb64 comes from tools/install_deps.sh (Debian's libb64-0d).
    /sbin/ldconfig -p 2>/dev/null | grep -q 'libb64\.so\.0d' || return 1
    cat >"$VENV/bin/perf_analyzer" <<'SHEOF'
#!/bin/sh
# Written by tools/setup_venv.sh: Triton's perf_analyzer with its libraries.
d="$(cd "$(dirname "$0")/../perf_analyzer" && pwd)"
LD_LIBRARY_PATH="$d/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" exec "$d/bin/perf_analyzer" "$@"
SHEOF
    chmod +x "$VENV/bin/perf_analyzer"
    "$VENV/bin/perf_analyzer" --version >/dev/null 2>&1
}
if ! "$VENV/bin/perf_analyzer" --version >/dev/null 2>&1; then
    pa_tmp="$(mktemp -d)"
    if ! install_perf_analyzer "$pa_tmp"; then
        rm -f "$VENV/bin/perf_analyzer"
        echo "setup_venv: note: perf_analyzer not installed (needs PyPI and Debian's libb64-0d:" \
             "apt-get install libb64-0d); test_perf_analyzer.py will skip"
    fi
    rm -rf "$pa_tmp"
fi

# Sanity check: everything imports and torch can exchange arrays with numpy.
"$PY" - <<'PYEOF'
import numpy as np, onnx, onnxruntime as ort
msg = f"numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}"
try:
    import torch
    torch.from_numpy(np.zeros(1, np.float32)).numpy()
    msg += f", torch {torch.__version__}"
except ImportError:
    msg += ", torch MISSING (tools/install_deps.sh --torch installs it; only training and model export need it)"
print("setup_venv: ok:", msg)
PYEOF
