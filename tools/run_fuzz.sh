#!/usr/bin/env bash
# Builds the libFuzzer target for the ONNX reader with clang and runs it for
# $1 seconds (default 30) over tests/fuzz/corpus. `make fuzz` runs it briefly
# as part of `make test`; `make fuzz-long` runs it for 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
CXX_BIN="$(command -v clang++ || command -v clang++-14 || true)"
if [ -z "$CXX_BIN" ]; then echo "run_fuzz: clang++ not found (tools/install_deps.sh installs it)" >&2; exit 1; fi
build=build/fuzz
GEN=""; command -v ninja >/dev/null && GEN="-G Ninja"
[ -f "$build/CMakeCache.txt" ] || cmake -S tests/fuzz -B "$build" $GEN -DCMAKE_CXX_COMPILER="$CXX_BIN" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j"$(nproc)"
work="$build/corpus"; mkdir -p "$work"
cp -n tests/fuzz/corpus/* "$work"/ 2>/dev/null || true
echo "run_fuzz: onnx_reader_fuzz for ${seconds}s"
"$build/onnx_reader_fuzz" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
  -print_final_stats=1 -artifact_prefix="tests/fuzz/" "$work" 2>&1 | tail -n 12
echo "run_fuzz: no crash in ${seconds}s"
