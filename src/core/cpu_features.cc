// CPUID + XGETBV feature detection.
//
// A CPU flag alone is not enough: the OS must also save the wider register
// state on context switches, which XGETBV(0) reports in XCR0 (Intel SDM vol. 1,
// 13.3 "Enabling the XSAVE feature set"): bits 1-2 (SSE, AVX) for YMM, and
// bits 5-7 (opmask, ZMM_Hi256, Hi16_ZMM) for AVX-512. XGETBV itself may only
// run when CPUID.1:ECX.OSXSAVE[bit 27] is set. The flags in CpuFeatures are
// therefore "usable" flags: CPU support AND OS support.
//
// This file is compiled for baseline x86-64, so it uses <cpuid.h> and inline
// asm rather than intrinsics that need -mavx/-mxsave.
#include "core/cpu_features.h"

#include <cstdio>
#include <cstdlib>

#include "core/isa_cap.h"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace fastserve {

namespace {

#if defined(__x86_64__)
uint64_t read_xcr0() {
  uint32_t eax = 0, edx = 0;
  __asm__ volatile("xgetbv" : "=a"(eax), "=d"(edx) : "c"(0));
  return (static_cast<uint64_t>(edx) << 32) | eax;
}

bool bit(uint32_t reg, int b) { return ((reg >> b) & 1u) != 0; }

CpuFeatures detect() {
  CpuFeatures f;
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return f;
  const bool osxsave = bit(ecx, 27);
  const bool cpu_avx = bit(ecx, 28);
  const bool cpu_fma = bit(ecx, 12);
  const bool cpu_f16c = bit(ecx, 29);
  bool os_amx = false;
  if (osxsave) {
    const uint64_t xcr0 = read_xcr0();
    f.os_avx = (xcr0 & 0x6) == 0x6;
    f.os_avx512 = f.os_avx && (xcr0 & 0xe0) == 0xe0;
    os_amx = (xcr0 & 0x60000) == 0x60000;
  }
  if (!f.os_avx || !cpu_avx) return f;  // nothing wider than SSE is usable
  f.fma = cpu_fma;
  f.f16c = cpu_f16c;

  // Leaf 7 subleaf 0: AVX2 and the AVX-512 family.
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
    f.avx2 = bit(ebx, 5);
    if (f.os_avx512) {
      f.avx512f = bit(ebx, 16);
      f.avx512dq = bit(ebx, 17);
      f.avx512bw = bit(ebx, 30);
      f.avx512vl = bit(ebx, 31);
      f.avx512vnni = bit(ecx, 11);
      f.amx_int8 = os_amx && bit(edx, 24) && bit(edx, 25);  // AMX-TILE and AMX-INT8
    }
    // Leaf 7 subleaf 1 exists when leaf 7 subleaf 0 EAX (max subleaf) >= 1.
    const unsigned max_subleaf = eax;
    if (max_subleaf >= 1 && __get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) {
      f.avxvnni = bit(eax, 4);
      f.avx512bf16 = f.os_avx512 && bit(eax, 5);
    }
  }
  return f;
}
#else
CpuFeatures detect() { return CpuFeatures{}; }
#endif

const char* const kIsaNames[] = {"scalar", "avx2", "avx512", "avx512vnni"};

}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();  // C++11 guarantees thread-safe init
  return features;
}

Isa detected_isa() {
  const CpuFeatures& f = cpu_features();
  const bool avx2 = f.avx2 && f.fma && f.f16c;
  if (avx2 && f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl) {
    return f.avx512vnni ? Isa::kAvx512Vnni : Isa::kAvx512;
  }
  return avx2 ? Isa::kAvx2 : Isa::kScalar;
}

Isa apply_isa_cap(Isa detected, const char* max_isa, bool* invalid) {
  *invalid = false;
  if (max_isa == nullptr || *max_isa == '\0') return detected;
  Result<Isa> cap = parse_isa(max_isa);
  if (!cap.ok()) {
    *invalid = true;
    return detected;
  }
  return static_cast<int>(*cap) < static_cast<int>(detected) ? *cap : detected;
}

Isa host_isa() {
  static const Isa isa = [] {
    const char* env = std::getenv("FASTSERVE_MAX_ISA");
    bool invalid = false;
    const Isa capped = apply_isa_cap(detected_isa(), env, &invalid);
    if (invalid) {
      std::fprintf(stderr,
                   "warning: ignoring FASTSERVE_MAX_ISA='%s' (expected scalar, avx2, avx512 or avx512vnni)\n",
                   env);
    }
    return capped;
  }();
  return isa;
}

const char* isa_name(Isa isa) {
  const int i = static_cast<int>(isa);
  if (i < 0 || i > 3) return "unknown";
  return kIsaNames[i];
}

Result<Isa> parse_isa(std::string_view name) {
  for (int i = 0; i < 4; ++i) {
    if (name == kIsaNames[i]) return static_cast<Isa>(i);
  }
  return invalid_argument("unknown ISA '" + std::string(name) +
                          "' (expected scalar, avx2, avx512 or avx512vnni)");
}

}  // namespace fastserve
