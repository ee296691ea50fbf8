#!/usr/bin/env bash
# Creates/updates the Python tooling venv at <repo>/.venv (gitignored).
# Idempotent: safe to run repeatedly; a no-op once everything is installed.
#
# Python is only used for tools/ (model training, test-model and golden-data
# generation), the ONNX node tests that `make test` runs through
# tests/conformance, and the `fastserve serve` end-to-end tests in
# tests/serve/e2e (requests, grpcio, grpcio-tools, pytest). The C++ build and
# the binary never need it.
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
"$PY" -m pip install -q --disable-pip-version-check \
    "numpy>=1.23.2,<2" \
    "ml_dtypes==0.5.4" \
    "onnx==1.23.2" \
    "onnxruntime==1.32.0" \
    "requests==2.34.2" \
    "grpcio==1.85.4" \
    "grpcio-tools==1.85.4" \
    "pytest==9.2.0" \
    "protobuf==7.36.2"

# Sanity check: everything imports and torch can exchange arrays with numpy.
"$PY" - <<'PYEOF'
import numpy as np, onnx, onnxruntime as ort
msg = f"numpy {np.__version__}, onnx {onnx.__version__}, onnxruntime {ort.__version__}"
try:
    import torch
    torch.from_numpy(np.zeros(1, np.float32)).numpy()
    msg += f", torch {torch.__version__}"
except ImportError:
    msg += ", torch MISSING (apt-get install python3-torch python3-torchvision; only needed for training)"
print("setup_venv: ok:", msg)
PYEOF
