#!/usr/bin/env bash
# The objects compiled with a wider instruction set (*_avx2.cc, *_avx512.cc,
# *_vnni.cc, *_avxvnni.cc, *_amx.cc; cmake/isa.cmake) must hold no static
# initializer: one runs at start-up on every machine, before any cpuid
# dispatch, so a namespace-scope __m512i constant there killed the binary
# with SIGILL on every host without AVX-512 (kernels/cpu/pool/
# max_pool_stride2_avx512.cc, found on an AVX2-only machine).
# Usage: check_isa_objects.sh BUILD_DIR
set -u
build=${1:?usage: check_isa_objects.sh BUILD_DIR}
command -v nm >/dev/null || { echo "SKIP: no nm"; exit 77; }
mapfile -t objs < <(find "$build" -name '*.o' | grep -E '_(avx2|avx512|vnni|avxvnni|amx)\.cc\.o$' | sort)
if [ ${#objs[@]} -eq 0 ]; then echo "FAIL: no ISA objects found under $build"; exit 1; fi
bad=0
for o in "${objs[@]}"; do
  if nm "$o" | grep -q '_GLOBAL__sub_I_'; then
    echo "FAIL: $o has a static initializer (nm: $(nm -C "$o" | grep '_GLOBAL__sub_I_' | head -1))"
    bad=1
  fi
done
[ $bad -eq 0 ] && echo "ok: ${#objs[@]} ISA objects, none with a static initializer"
exit $bad
