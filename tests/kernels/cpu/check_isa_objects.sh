#!/usr/bin/env bash
# The objects compiled with a wider instruction set (*_avx2.cc, *_avx512.cc,
# *_vnni.cc, *_avxvnni.cc, *_amx.cc; cmake/isa.cmake) must hold no static
# initializer: one runs at start-up on every machine, before any cpuid
# dispatch, so a namespace-scope __m512i constant there killed the binary
# with SIGILL on every host without AVX-512 (kernels/cpu/pool/
# max_pool_stride2_avx512.cc, found on an AVX2-only machine). The weak
# functions check is below.
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
# Nor a weak (COMDAT) function with wider-ISA instructions: an inline
# function from a header (NodeView::error, std::string's operator+) is
# emitted in every object that uses it, and the linker keeps one copy for
# all callers, baseline code included; if it kept an ISA object's copy built
# with AVX-512 instructions, baseline paths would SIGILL on older CPUs, by
# link order alone. (objdump prints ymm / zmm / mask registers for VEX and
# EVEX code; xmm alone may be plain SSE.)
weak=0
for o in "${objs[@]}"; do
  while read -r sym; do
    weak=$((weak + 1))
    n=$(objdump -d --no-show-raw-insn "$o" --disassemble="$sym" 2>/dev/null | grep -cE '%[yz]mm[0-9]|%k[0-7]\b|\{1to')
    if [ "$n" -gt 0 ]; then
      echo "FAIL: $o: weak function $(echo "$sym" | c++filt) has $n wider-ISA instructions (the linker may keep this copy for baseline callers; move the call out of the ISA file or make the callee non-inline)"
      bad=1
    fi
  done < <(nm --defined-only "$o" | awk '$2 == "W" {print $3}')
done
[ $bad -eq 0 ] && echo "ok: ${#objs[@]} ISA objects, none with a static initializer; $weak weak functions in them, none with wider-ISA instructions"
exit $bad
