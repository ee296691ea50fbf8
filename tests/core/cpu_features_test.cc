#include "core/cpu_features.h"

#include <gtest/gtest.h>

#include "core/isa_cap.h"

namespace fastserve {
namespace {

TEST(CpuFeatures, IsaNamesParseBack) {
  for (Isa isa : {Isa::kScalar, Isa::kAvx2, Isa::kAvx512, Isa::kAvx512Vnni}) {
    Result<Isa> back = parse_isa(isa_name(isa));
    ASSERT_TRUE(back.ok()) << isa_name(isa);
    EXPECT_EQ(*back, isa);
  }
  EXPECT_STREQ(isa_name(Isa::kScalar), "scalar");
  EXPECT_STREQ(isa_name(Isa::kAvx512Vnni), "avx512vnni");
  Result<Isa> bad = parse_isa("sse9");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("sse9"), std::string::npos);
  EXPECT_FALSE(parse_isa("").ok());
  EXPECT_FALSE(parse_isa("AVX2 ").ok());
}

TEST(CpuFeatures, MaxIsaCapsButNeverRaises) {
  bool invalid = true;
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512Vnni, "scalar", &invalid), Isa::kScalar);
  EXPECT_FALSE(invalid);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512Vnni, "avx2", &invalid), Isa::kAvx2);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512Vnni, "avx512", &invalid), Isa::kAvx512);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx2, "avx512vnni", &invalid), Isa::kAvx2);
  EXPECT_EQ(apply_isa_cap(Isa::kScalar, "avx512", &invalid), Isa::kScalar);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512, nullptr, &invalid), Isa::kAvx512);
  EXPECT_FALSE(invalid);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512, "", &invalid), Isa::kAvx512);
  EXPECT_FALSE(invalid);
  EXPECT_EQ(apply_isa_cap(Isa::kAvx512, "turbo", &invalid), Isa::kAvx512);
  EXPECT_TRUE(invalid);
}

TEST(CpuFeatures, HostIsaNeverExceedsDetected) {
  EXPECT_LE(static_cast<int>(host_isa()), static_cast<int>(detected_isa()));
  EXPECT_EQ(host_isa(), host_isa());  // read once, stable
}

TEST(CpuFeatures, FlagsAreConsistentWithDetectedLevel) {
  const CpuFeatures& f = cpu_features();
  const Isa isa = detected_isa();
  if (isa >= Isa::kAvx2) {
    EXPECT_TRUE(f.avx2 && f.fma && f.f16c && f.os_avx);
  }
  if (isa >= Isa::kAvx512) {
    EXPECT_TRUE(f.avx512f && f.avx512bw && f.avx512dq && f.avx512vl && f.os_avx512);
  }
  if (isa == Isa::kAvx512Vnni) {
    EXPECT_TRUE(f.avx512vnni);
  }
  // Usable flags imply OS support for the state they need.
  if (f.avx2) {
    EXPECT_TRUE(f.os_avx);
  }
  if (f.avx512f) {
    EXPECT_TRUE(f.os_avx512);
  }
#if defined(__x86_64__)
  // Cross-check against the compiler's own CPU detection (independent code path).
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && f.os_avx512) {
    EXPECT_TRUE(f.avx512f);
  }
  if (__builtin_cpu_supports("avx2") && f.os_avx) {
    EXPECT_TRUE(f.avx2);
  }
  if (f.avx512vnni) {
    EXPECT_TRUE(__builtin_cpu_supports("avx512vnni"));
  }
  if (f.avx2) {
    EXPECT_TRUE(__builtin_cpu_supports("avx2"));
  }
#else
  EXPECT_EQ(isa, Isa::kScalar);
#endif
}

}  // namespace
}  // namespace fastserve
