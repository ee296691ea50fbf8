#!/usr/bin/env bash
# Installs the Debian packages FastServe needs to build, test and run, if missing.
# Uses sudo when not root. Idempotent and quiet when everything is there.
# --torch adds Debian's PyTorch (python3-torch, python3-torchvision, a few
# hundred MB): only the targets that train or export models need it (make
# models, qat, compress, zoo and what depends on the zoo), not build or test.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build pkg-config
  libcli11-dev libspdlog-dev libfmt-dev libeigen3-dev libdnnl-dev ocl-icd-opencl-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libstb-dev zlib1g-dev
  libcpp-httplib-dev libssl-dev libsimdjson-dev
  libgrpc++-dev libprotobuf-dev protobuf-compiler protobuf-compiler-grpc
  curl libb64-0d
  dataset-fashion-mnist
  clang libclang-rt-14-dev
  python3-venv python3-pip
)
if [ "${1:-}" = "--torch" ]; then PACKAGES+=(python3-torch python3-torchvision); fi

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install_deps: installing ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install_deps: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
