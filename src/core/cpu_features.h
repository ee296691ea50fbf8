// CPU feature detection (CPUID + XGETBV) and the ISA level kernels dispatch on.
//
// Kernels are compiled per ISA (cmake/isa.cmake gives *_avx2.cc, *_avx512.cc,
// *_vnni.cc their own flags); the rest of the binary is baseline x86-64, so it
// runs on any x86-64 CPU. At session compile the registry drops descriptors
// whose required ISA exceeds host_isa().
//
// FASTSERVE_MAX_ISA=scalar|avx2|avx512|avx512vnni caps the level (tests use it
// to force the portable path on a machine that has AVX-512).
#pragma once

#include <string_view>

#include "fastserve/status.h"

namespace fastserve {

// Ordered: a level implies every level below it.
enum class Isa : int {
  kScalar = 0,      // portable C++ (baseline x86-64 / any arch)
  kAvx2 = 1,        // AVX2 + FMA + F16C
  kAvx512 = 2,      // AVX-512 F + BW + DQ + VL
  kAvx512Vnni = 3,  // kAvx512 + AVX512_VNNI
};

struct CpuFeatures {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512dq = false, avx512vl = false;
  bool avx512vnni = false, avxvnni = false, avx512bf16 = false;
  // AMX tiles with the INT8 dot product, and the OS saving tile state
  // (XCR0 bits 17-18). A process must still ask Linux for permission
  // (arch_prctl ARCH_REQ_XCOMP_PERM) before its first tile instruction:
  // kernels/cpu/qgemm/qgemm_amx.cc does.
  bool amx_int8 = false;
  bool os_avx = false, os_avx512 = false;  // XGETBV says the OS saves the state
};

// Detected once, thread-safe.
const CpuFeatures& cpu_features();
// Best level the CPU and OS support.
Isa detected_isa();
// detected_isa() capped by FASTSERVE_MAX_ISA (read once at first call).
Isa host_isa();
const char* isa_name(Isa isa);
Result<Isa> parse_isa(std::string_view name);

}  // namespace fastserve
