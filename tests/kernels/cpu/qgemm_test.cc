// The u8 x s8 -> s32 GEMM (kernels/cpu/qgemm) against an int64 triple loop:
// every microkernel the host runs, shapes with row / column / k tails and
// several K and M blocks, zero points on A and B, transposed B, 1 and 2
// threads. Integer arithmetic: results must be exact.
#include "kernels/cpu/qgemm/qgemm.h"

#include <gtest/gtest.h>

#include <iostream>
#include <random>
#include <vector>

namespace fastserve {
namespace {

struct Shape3 {
  int64_t m, n, k;
};

std::vector<const QGemmUkernel*> host_ukernels() {
  std::vector<const QGemmUkernel*> out = {&kQGemmUkernelPortable};
#ifdef FASTSERVE_QGEMM_X86
  if (host_isa() >= Isa::kAvx2) out.push_back(&kQGemmUkernelAvx2);
  if (host_isa() >= Isa::kAvx2 && cpu_features().avxvnni) {
    out.push_back(&kQGemmUkernelAvxVnni);
  } else {
    std::cout << "[ SKIP ] no AVX-VNNI here: the AVX-VNNI path is not checked\n";
  }
  if (host_isa() >= Isa::kAvx512Vnni) out.push_back(&kQGemmUkernelVnni);
  if (host_isa() >= Isa::kAvx512Vnni && qgemm_amx_available()) {
    out.push_back(&kQGemmUkernelAmx);
  } else {
    std::cout << "[ SKIP ] no AMX-INT8 usable here: the AMX path is not checked\n";
  }
#endif
  return out;
}

TEST(QGemm, ExactAgainstAnInt64LoopOnTailsBlocksZeroPointsAndThreads) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  // The AMX path takes K % 64 == 0 and rows in 16s: 64x..x128, 50 (3 blocks + 2 VNNI rows), 16.
  const Shape3 shapes[] = {{1, 1, 1},      {3, 5, 7},      {14, 32, 4},  {15, 33, 9},  {29, 70, 515},
                           {128, 96, 1030}, {900, 40, 24}, {2, 300, 64}, {64, 45, 128}, {50, 70, 192},
                           {16, 32, 64},    {97, 130, 1024}};
  const std::pair<int32_t, int32_t> zps[] = {{0, 0}, {128, 0}, {3, -5}};
  ThreadPool pool(2);
  int seen_vnni = 0;
  for (const QGemmUkernel* uk : host_ukernels()) {
    seen_vnni += uk == &kQGemmUkernelVnni;
    for (const Shape3& s : shapes) {
      for (bool trans : {false, true}) {
        for (const auto& [za, zb] : zps) {
          SCOPED_TRACE(std::string(uk->name) + " " + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                       std::to_string(s.k) + (trans ? " B^T" : "") + " zp " + std::to_string(za) + "," +
                       std::to_string(zb));
          const int64_t lda = s.k + 3;  // a row pitch wider than K
          std::vector<uint8_t> a(static_cast<size_t>(s.m * lda));
          std::vector<int8_t> b(static_cast<size_t>(s.k * s.n));
          for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
          for (auto& v : b) v = static_cast<int8_t>(s8(rng));
          const int64_t ldb = trans ? s.k : s.n;
          const QPackedB packed = qgemm_pack_b(b.data(), s.k, s.n, ldb, trans, &pool);
          for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
            std::vector<int32_t> c(static_cast<size_t>(s.m * (s.n + 1)), -7);
            QGemmArgs args;
            args.m = s.m;
            args.n = s.n;
            args.k = s.k;
            args.a = a.data();
            args.lda = lda;
            args.a_zero_point = za;
            args.b_zero_point = zb;
            args.b = &packed;
            args.c = c.data();
            args.ldc = s.n + 1;
            qgemm_u8s8s32(*uk, args, p);
            for (int64_t i = 0; i < s.m; ++i) {
              for (int64_t j = 0; j < s.n; ++j) {
                int64_t want = 0;
                for (int64_t kk = 0; kk < s.k; ++kk) {
                  const int64_t bv = trans ? b[static_cast<size_t>(j * s.k + kk)] : b[static_cast<size_t>(kk * s.n + j)];
                  want += (int64_t{a[static_cast<size_t>(i * lda + kk)]} - za) * (bv - zb);
                }
                ASSERT_EQ(c[static_cast<size_t>(i * (s.n + 1) + j)], want) << i << "," << j;
              }
              ASSERT_EQ(c[static_cast<size_t>(i * (s.n + 1) + s.n)], -7) << "wrote past N in row " << i;
            }
          }
        }
      }
    }
  }
  if (host_isa() >= Isa::kAvx512Vnni) {
    EXPECT_EQ(seen_vnni, 1);
  } else {
    std::cout << "[ SKIP ] no AVX-512 VNNI on this host: only the portable INT8 kernel was checked\n";
  }
}

TEST(QGemm, PerColumnBZeroPoints) {
  std::mt19937 rng(8);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  const int64_t m = 17, n = 45, k = 70;
  std::vector<uint8_t> a(static_cast<size_t>(m * k));
  std::vector<int8_t> b(static_cast<size_t>(k * n));
  std::vector<int32_t> zb(static_cast<size_t>(n));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : b) v = static_cast<int8_t>(s8(rng));
  for (auto& v : zb) v = s8(rng) / 4;
  const QPackedB packed = qgemm_pack_b(b.data(), k, n, n, false);
  for (const QGemmUkernel* uk : host_ukernels()) {
    std::vector<int32_t> c(static_cast<size_t>(m * n));
    QGemmArgs args;
    args.m = m;
    args.n = n;
    args.k = k;
    args.a = a.data();
    args.lda = k;
    args.a_zero_point = 77;
    args.b_zero_points = zb.data();
    args.b = &packed;
    args.c = c.data();
    args.ldc = n;
    qgemm_u8s8s32(*uk, args, nullptr);
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < n; ++j) {
        int64_t want = 0;
        for (int64_t kk = 0; kk < k; ++kk) {
          want += (int64_t{a[static_cast<size_t>(i * k + kk)]} - 77) * (b[static_cast<size_t>(kk * n + j)] - zb[static_cast<size_t>(j)]);
        }
        ASSERT_EQ(c[static_cast<size_t>(i * n + j)], want) << uk->name << " " << i << "," << j;
      }
  }
}

TEST(QGemm, TheHostGetsItsBestKernel) {
  const QGemmUkernel& uk = qgemm_ukernel_for_isa(host_isa());
  if (host_isa() >= Isa::kAvx512Vnni && qgemm_amx_available()) {
    EXPECT_STREQ(uk.name, "qgemm_u8s8s32__amx_32x32");
  } else if (host_isa() >= Isa::kAvx512Vnni) {
    EXPECT_STREQ(uk.name, "qgemm_u8s8s32__vnni_14x32");
  } else if (host_isa() >= Isa::kAvx2) {
    EXPECT_STREQ(uk.name, cpu_features().avxvnni ? "qgemm_u8s8s32__avxvnni_14x32" : "qgemm_u8s8s32__avx2_14x32");
  } else {
    EXPECT_STREQ(uk.name, "qgemm_u8s8s32__portable");
  }
  EXPECT_STREQ(qgemm_ukernel_for_isa(Isa::kScalar).name, "qgemm_u8s8s32__portable");
#ifdef FASTSERVE_QGEMM_X86
  // An AVX2 cap (FASTSERVE_MAX_ISA=avx2) gets an AVX2-class kernel, not the portable loops.
  if (host_isa() >= Isa::kAvx2) {
    EXPECT_EQ(qgemm_ukernel_for_isa(Isa::kAvx2).isa, Isa::kAvx2);
  }
#endif
}

}  // namespace
}  // namespace fastserve
