// The FP32 GEMM engine (kernels/cpu/gemm/): every compiled microkernel the
// host can run (the others are skipped with a message), called directly
// (tiles on packed or plain A, A packing, the GEMV kernels) and through the
// driver (packing, K/M/N blocking, thread split, prepacked operands, the
// M = 1 path, epilogues), against straightforward double-precision loops.
// Also: ISA-based selection and the packed layout.
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/cpu/gemm/gemm.h"
#include "runtime/kernel_registry.h"
#include "tests/kernels/cpu/nn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

std::vector<float> random_vec(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> d(-1.f, 1.f);
  std::vector<float> v(n);
  for (float& x : v) x = d(rng);
  return v;
}

struct NaiveGemm {
  int64_t m, n, k;
  const float* a;
  int64_t lda;
  bool ta;
  const float* b;
  int64_t ldb;
  bool tb;
  float alpha, beta;
  GemmEpilogue ep;

  // c holds the initial C (read when beta != 0); returns the expected C.
  std::vector<float> run(const std::vector<float>& c, int64_t ldc) const {
    std::vector<float> out = c;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double s = 0;
        for (int64_t p = 0; p < k; ++p) {
          const double av = ta ? a[p * lda + i] : a[i * lda + p];
          const double bv = tb ? b[j * ldb + p] : b[p * ldb + j];
          s += av * bv;
        }
        double v = alpha * s + (beta != 0.f ? beta * static_cast<double>(c[static_cast<size_t>(i * ldc + j)]) : 0.0);
        if (ep.bias_kind == GemmBias::kPerRow) v += ep.bias[i];
        if (ep.bias_kind == GemmBias::kPerColumn) v += ep.bias[j];
        if (ep.activation == GemmActivation::kRelu) v = std::max(v, 0.0);
        if (ep.activation == GemmActivation::kClamp) v = std::min(std::max(v, double{ep.clamp_min}), double{ep.clamp_max});
        out[static_cast<size_t>(i * ldc + j)] = static_cast<float>(v);
      }
    }
    return out;
  }
};

::testing::AssertionResult near_all(const std::vector<float>& got, const std::vector<float>& want, double atol) {
  for (size_t i = 0; i < got.size(); ++i) {
    const double tol = atol + 1e-4 * std::fabs(want[i]);
    if (!(std::fabs(got[i] - want[i]) <= tol)) {
      return ::testing::AssertionFailure() << "element " << i << ": got " << got[i] << ", want " << want[i];
    }
  }
  return ::testing::AssertionSuccess();
}

class GemmUkernelTest : public ::testing::TestWithParam<const GemmUkernel*> {
 protected:
  void SetUp() override {
    const GemmUkernel& uk = *GetParam();
    if (host_isa() < uk.isa) GTEST_SKIP() << uk.name << " needs " << isa_name(uk.isa) << ", host runs at " << isa_name(host_isa());
  }
};

TEST_P(GemmUkernelTest, TileMatchesNaiveForEveryRowCountAndColumnTail) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(1234);
  const int64_t ldc = uk.nr + 3;
  for (int64_t kc : {0, 1, 7, 33}) {
    // Packed panels written directly in the documented layout; the same A
    // also as plain rows (lda = kc + 5) for fn_a_rows.
    const std::vector<float> a = random_vec(static_cast<size_t>(kc * uk.mr), rng);
    const int64_t lda = kc + 5;
    std::vector<float> a_rows(static_cast<size_t>(uk.mr * lda), 1e6f);  // padding must never be read into C
    for (int64_t i = 0; i < uk.mr; ++i) {
      for (int64_t p = 0; p < kc; ++p) a_rows[static_cast<size_t>(i * lda + p)] = a[static_cast<size_t>(p * uk.mr + i)];
    }
    const std::vector<float> b = random_vec(static_cast<size_t>(kc * uk.nr), rng);
    const std::vector<float> row_bias = random_vec(static_cast<size_t>(uk.mr), rng);
    const std::vector<float> col_bias = random_vec(static_cast<size_t>(uk.nr), rng);
    for (int m = 1; m <= uk.mr; ++m) {
      for (int n = 1; n <= uk.nr; ++n) {
        for (int variant = 0; variant < 5; ++variant) {
          for (int a_form = 0; a_form < 2; ++a_form) {
            SCOPED_TRACE(std::string(uk.name) + " kc=" + std::to_string(kc) + " m=" + std::to_string(m) +
                         " n=" + std::to_string(n) + " variant=" + std::to_string(variant) +
                         (a_form == 0 ? " packed A" : " A rows"));
            GemmUkernelParams p;
            GemmEpilogue ep;
            p.alpha = variant == 1 || variant == 4 ? 2.f : 1.f;
            p.beta = variant == 0 ? 0.f : variant == 1 ? 1.f : variant == 4 ? 0.f : -0.5f;
            if (variant == 2) {
              p.row_bias = row_bias.data();
              p.activation = GemmActivation::kRelu;
              ep = {GemmBias::kPerRow, row_bias.data(), GemmActivation::kRelu};
            } else if (variant == 3) {
              p.col_bias = col_bias.data();
              p.activation = GemmActivation::kClamp;
              p.clamp_min = -0.25f;
              p.clamp_max = 0.5f;
              ep = {GemmBias::kPerColumn, col_bias.data(), GemmActivation::kClamp, -0.25f, 0.5f};
            }
            // C with a canary everywhere: cells outside the m x n tile must survive.
            std::vector<float> c = random_vec(static_cast<size_t>((uk.mr + 1) * ldc), rng);
            const std::vector<float> c0 = c;
            // Naive view of the packed panels: A[i][p] = a[p*mr + i], B[p][j] = b[p*nr + j].
            NaiveGemm naive{m, n, kc, a.data(), uk.mr, true, b.data(), uk.nr, false, p.alpha, p.beta, ep};
            const std::vector<float> want = naive.run(c0, ldc);
            if (a_form == 0) {
              uk.fn(m, n, kc, a.data(), 0, b.data(), c.data(), ldc, p);
            } else {
              uk.fn_a_rows(m, n, kc, a_rows.data(), lda, b.data(), c.data(), ldc, p);
            }
            EXPECT_TRUE(near_all(c, want, nn_test::sum_atol(kc)));
          }
        }
      }
    }
  }
}

// The fused tiles read B as plain rows and leave it packed behind them.
TEST_P(GemmUkernelTest, PackingTileMatchesNaiveAndWritesPackedB) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(2024);
  for (int64_t kc : {1, 9, 40}) {
    const int64_t ldb = uk.nr + 7, lda = kc + 2, ldc = uk.nr + 1;
    const std::vector<float> b = random_vec(static_cast<size_t>(kc * ldb), rng);
    const std::vector<float> a_panel = random_vec(static_cast<size_t>(kc * uk.mr), rng);
    std::vector<float> a_rows(static_cast<size_t>(uk.mr * lda), 0.f);
    for (int64_t i = 0; i < uk.mr; ++i) {
      for (int64_t p = 0; p < kc; ++p) a_rows[static_cast<size_t>(i * lda + p)] = a_panel[static_cast<size_t>(p * uk.mr + i)];
    }
    for (int m = 1; m <= uk.mr; ++m) {
      for (int a_form = 0; a_form < 2; ++a_form) {
        SCOPED_TRACE(std::string(uk.name) + " kc=" + std::to_string(kc) + " m=" + std::to_string(m) +
                     (a_form == 0 ? " packed A" : " A rows"));
        GemmUkernelParams p;
        p.beta = 1.f;
        std::vector<float> c = random_vec(static_cast<size_t>((uk.mr + 1) * ldc), rng);
        const NaiveGemm naive{m, uk.nr, kc, a_panel.data(), uk.mr, true, b.data(), ldb, false, 1.f, 1.f, GemmEpilogue{}};
        const std::vector<float> want = naive.run(c, ldc);
        std::vector<float> packed(static_cast<size_t>(kc * uk.nr), -9.f);
        if (a_form == 0) {
          uk.fn_pack_b(m, kc, a_panel.data(), 0, b.data(), ldb, packed.data(), c.data(), ldc, p);
        } else {
          uk.fn_a_rows_pack_b(m, kc, a_rows.data(), lda, b.data(), ldb, packed.data(), c.data(), ldc, p);
        }
        EXPECT_TRUE(near_all(c, want, nn_test::sum_atol(kc)));
        for (int64_t q = 0; q < kc; ++q) {
          for (int j = 0; j < uk.nr; ++j) {
            ASSERT_EQ(packed[static_cast<size_t>(q * uk.nr + j)], b[static_cast<size_t>(q * ldb + j)]) << q << "," << j;
          }
        }
      }
    }
  }
}

TEST_P(GemmUkernelTest, PackAPanelMatchesLayoutWithZeroRows) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(99);
  const int64_t kc = 19, lda = 23;
  const std::vector<float> a = random_vec(static_cast<size_t>(uk.mr * lda), rng);
  for (int rows = 1; rows <= uk.mr; ++rows) {
    std::vector<float> out(static_cast<size_t>(uk.mr * kc), -7.f);
    uk.pack_a(rows, kc, a.data(), lda, out.data());
    for (int64_t p = 0; p < kc; ++p) {
      for (int r = 0; r < uk.mr; ++r) {
        const float want = r < rows ? a[static_cast<size_t>(r * lda + p)] : 0.f;
        ASSERT_EQ(out[static_cast<size_t>(p * uk.mr + r)], want) << uk.name << " rows=" << rows << " p=" << p << " r=" << r;
      }
    }
  }
}

// The M = 1 kernels: plain B (both orientations) and packed B, with tails
// in n and k and every epilogue part.
TEST_P(GemmUkernelTest, GemvKernelsMatchNaive) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(4321);
  for (int64_t n : {1, 3, 8, 17, 64, 130}) {
    for (int64_t k : {0, 1, 5, 16, 37, 300}) {
      for (int variant = 0; variant < 3; ++variant) {
        for (int form = 0; form < 3; ++form) {  // 0: B plain, 1: B^T plain, 2: B packed
          SCOPED_TRACE(std::string(uk.name) + " n=" + std::to_string(n) + " k=" + std::to_string(k) +
                       " variant=" + std::to_string(variant) + " form=" + std::to_string(form));
          const std::vector<float> x = random_vec(static_cast<size_t>(std::max<int64_t>(k, 1)), rng);
          const bool tb = form == 1;
          const int64_t ldb = (tb ? k : n) + 3;
          const std::vector<float> b = random_vec(static_cast<size_t>((tb ? n : k) * ldb + 1), rng);
          const std::vector<float> bias = random_vec(static_cast<size_t>(n), rng);
          GemmUkernelParams p;
          GemmEpilogue ep;
          p.alpha = variant == 1 ? -1.5f : 1.f;
          p.beta = variant == 0 ? 0.f : 0.5f;
          if (variant == 1) {
            p.row_bias = bias.data();
            p.activation = GemmActivation::kRelu;
            ep = {GemmBias::kPerRow, bias.data(), GemmActivation::kRelu};
          } else if (variant == 2) {
            p.col_bias = bias.data();
            p.activation = GemmActivation::kClamp;
            p.clamp_min = -0.3f;
            p.clamp_max = 0.4f;
            ep = {GemmBias::kPerColumn, bias.data(), GemmActivation::kClamp, -0.3f, 0.4f};
          }
          std::vector<float> y = random_vec(static_cast<size_t>(n + 5), rng);  // canaries past n
          const NaiveGemm naive{1, n, k, x.data(), k, false, b.data(), ldb, tb, p.alpha, p.beta, ep};
          const std::vector<float> want = naive.run(y, n + 5);
          if (form < 2) {
            uk.gemv(n, k, x.data(), b.data(), ldb, tb, y.data(), p);
          } else {
            const AlignedFloats packed = pack_b(uk, k, n, GemmOperand{b.data(), ldb, false});
            uk.gemv_packed(n, k, x.data(), packed.data(), y.data(), p);
          }
          EXPECT_TRUE(near_all(y, want, nn_test::sum_atol(k)));
        }
      }
    }
  }
}

struct DriverCase {
  int64_t m, n, k;
  bool ta, tb;
  float alpha, beta;
  GemmBias bias;
  GemmActivation act;
  int64_t lda_pad = 2;  // lda = width of A as stored + lda_pad
};

std::string describe(const DriverCase& dc) {
  return "m=" + std::to_string(dc.m) + " n=" + std::to_string(dc.n) + " k=" + std::to_string(dc.k) +
         " ta=" + std::to_string(dc.ta) + " tb=" + std::to_string(dc.tb) + " alpha=" + std::to_string(dc.alpha) +
         " beta=" + std::to_string(dc.beta) + " bias=" + std::to_string(static_cast<int>(dc.bias)) +
         " act=" + std::to_string(static_cast<int>(dc.act)) + " lda_pad=" + std::to_string(dc.lda_pad);
}

// Runs one case through gemm_f32 in every operand form (nothing prepacked,
// A, B, both) on every pool, against the naive loops.
void check_driver_case(const GemmUkernel& uk, const DriverCase& dc, std::mt19937& rng,
                       const std::vector<ThreadPool*>& pools) {
  SCOPED_TRACE(std::string(uk.name) + " " + describe(dc));
  // Leading dimensions larger than the logical width exercise strided views.
  const int64_t a_rows = dc.ta ? dc.k : dc.m, a_cols = dc.ta ? dc.m : dc.k;
  const int64_t b_rows = dc.tb ? dc.n : dc.k, b_cols = dc.tb ? dc.k : dc.n;
  const int64_t lda = a_cols + dc.lda_pad, ldb = b_cols + 1, ldc = dc.n + 4;
  const std::vector<float> a = random_vec(static_cast<size_t>(std::max<int64_t>(a_rows * lda, 1)), rng);
  const std::vector<float> b = random_vec(static_cast<size_t>(std::max<int64_t>(b_rows * ldb, 1)), rng);
  const std::vector<float> bias = random_vec(static_cast<size_t>(std::max(dc.m, dc.n)), rng);
  const std::vector<float> c0 = random_vec(static_cast<size_t>(dc.m * ldc), rng);
  GemmEpilogue ep;
  ep.bias_kind = dc.bias;
  ep.bias = bias.data();
  ep.activation = dc.act;
  ep.clamp_min = -0.5f;
  ep.clamp_max = 0.75f;
  const NaiveGemm naive{dc.m, dc.n, dc.k, a.data(), lda, dc.ta, b.data(), ldb, dc.tb, dc.alpha, dc.beta, ep};
  const std::vector<float> want = naive.run(c0, ldc);
  GemmArgs args;
  args.m = dc.m;
  args.n = dc.n;
  args.k = dc.k;
  args.a = GemmOperand{a.data(), lda, dc.ta};
  args.b = GemmOperand{b.data(), ldb, dc.tb};
  args.ldc = ldc;
  args.alpha = dc.alpha;
  args.beta = dc.beta;
  args.epilogue = ep;
  const AlignedFloats pa = pack_a(uk, dc.m, dc.k, args.a);
  const AlignedFloats pb = pack_b(uk, dc.k, dc.n, args.b);
  for (int form = 0; form < 4; ++form) {  // bit 0: A prepacked, bit 1: B prepacked
    for (ThreadPool* pool : pools) {
      SCOPED_TRACE("form=" + std::to_string(form) + " threads=" + std::to_string(pool ? pool->num_threads() : 0));
      GemmArgs run = args;
      std::vector<float> c = c0;
      run.c = c.data();
      if (form & 1) run.a_packed = pa.data();
      if (form & 2) run.b_packed = pb.data();
      if (form == 3) {
        EXPECT_EQ(gemm_f32_workspace_size(uk, run), 0);
      }
      gemm_f32(uk, run, pool);
      ASSERT_TRUE(near_all(c, want, nn_test::sum_atol(dc.k)));
    }
  }
}

TEST_P(GemmUkernelTest, DriverMatchesNaiveOnTailsTransposesAndEpilogues) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(1234);
  const int64_t mr = uk.mr, nr = uk.nr;
  // Shapes that hit each path of the driver: M = 1 (GEMV), tails, K = 0,
  // K above one KC slice, M above one MC block, N above one packed-B chunk,
  // an lda that is a multiple of 1 KiB (A packed to avoid cache aliasing),
  // wide N (A packed) and narrow N (A read in place).
  const std::vector<DriverCase> cases = {
      {1, 1, 1, false, false, 1.f, 0.f, GemmBias::kNone, GemmActivation::kNone},
      {1, 37, 64, false, false, 1.f, 0.f, GemmBias::kPerColumn, GemmActivation::kNone},
      {1, 300, 70, true, true, 2.f, 0.5f, GemmBias::kPerRow, GemmActivation::kRelu},
      {1, 129, 33, false, true, 1.f, 1.f, GemmBias::kPerColumn, GemmActivation::kClamp},
      {45, 1, 17, false, true, 1.f, 0.f, GemmBias::kPerRow, GemmActivation::kRelu},
      {mr + 1, nr + 1, 1, true, false, 1.f, 1.f, GemmBias::kNone, GemmActivation::kNone},
      {2 * mr - 1, 3 * nr + 5, 300, false, false, 0.5f, -1.5f, GemmBias::kPerRow, GemmActivation::kNone},
      {130, 2 * nr, 513, true, true, 1.f, 0.f, GemmBias::kPerColumn, GemmActivation::kRelu},
      {200, 1100, 9, false, false, 1.f, 0.f, GemmBias::kNone, GemmActivation::kClamp},
      {7, 5, 0, false, false, 1.f, 0.5f, GemmBias::kPerColumn, GemmActivation::kNone},
      {50, 100, 200, false, false, 1.f, 0.f, GemmBias::kPerRow, GemmActivation::kNone, 256 - 200},
      {33, 300, 64, false, false, 1.f, 0.f, GemmBias::kNone, GemmActivation::kNone},
      {1000, 300, 700, false, false, 1.f, 0.f, GemmBias::kPerRow, GemmActivation::kRelu},
      {64, 49, 1200, false, true, 1.f, 0.f, GemmBias::kPerRow, GemmActivation::kNone},
  };
  ThreadPool two(2), three(3);
  const std::vector<ThreadPool*> pools = {nullptr, &two, &three};
  for (const DriverCase& dc : cases) check_driver_case(uk, dc, rng, pools);
}

// Random shapes from sizes around the tile edges, with random transposes,
// alpha/beta, bias and activation (fixed seed).
TEST_P(GemmUkernelTest, DriverMatchesNaiveOnRandomShapes) {
  const GemmUkernel& uk = *GetParam();
  std::mt19937 rng(777);
  const int64_t sizes[] = {1, 2, 5, 6, 7, 15, 16, 17, 33, 64, 100, 257};
  auto pick = [&](auto& options) { return options[std::uniform_int_distribution<size_t>(0, std::size(options) - 1)(rng)]; };
  const float alphas[] = {1.f, 0.5f, -2.f};
  const float betas[] = {0.f, 1.f, -0.75f};
  const GemmBias biases[] = {GemmBias::kNone, GemmBias::kPerRow, GemmBias::kPerColumn};
  const GemmActivation acts[] = {GemmActivation::kNone, GemmActivation::kRelu, GemmActivation::kClamp};
  ThreadPool two(2);
  const std::vector<ThreadPool*> pools = {nullptr, &two};
  for (int i = 0; i < 60; ++i) {
    DriverCase dc{pick(sizes), pick(sizes), pick(sizes), rng() % 4 == 0, rng() % 3 == 0, pick(alphas), pick(betas),
                  pick(biases), pick(acts)};
    check_driver_case(uk, dc, rng, pools);
  }
}

std::vector<const GemmUkernel*> all_ukernels() {
  auto s = gemm_ukernels();
  return std::vector<const GemmUkernel*>(s.begin(), s.end());
}

INSTANTIATE_TEST_SUITE_P(AllMicrokernels, GemmUkernelTest, ::testing::ValuesIn(all_ukernels()),
                         [](const ::testing::TestParamInfo<const GemmUkernel*>& info) {
                           std::string name = info.param->name;
                           for (char& ch : name) {
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           }
                           return name;
                         });

TEST(GemmEngine, UkernelChoiceFollowsIsa) {
  EXPECT_STREQ(gemm_ukernel_for_isa(Isa::kScalar).name, "gemm_f32__portable_4x8");
#ifdef FASTSERVE_GEMM_X86
  EXPECT_STREQ(gemm_ukernel_for_isa(Isa::kAvx2).name, "gemm_f32__avx2_6x16");
  EXPECT_STREQ(gemm_ukernel_for_isa(Isa::kAvx512).name, "gemm_f32__avx512_14x32");
  EXPECT_STREQ(gemm_ukernel_for_isa(Isa::kAvx512Vnni).name, "gemm_f32__avx512_14x32");
  EXPECT_EQ(gemm_ukernels().size(), 3u);
#endif
  for (const GemmUkernel* uk : gemm_ukernels()) EXPECT_LE(static_cast<int>(gemm_ukernel_for_isa(uk->isa).isa), static_cast<int>(uk->isa));
}

TEST(GemmEngine, PackedLayoutIsPanelMajorWithZeroPadding) {
  const GemmUkernel& uk = kGemmUkernelPortable4x8;  // MR 4, NR 8
  // op(A) = 5x2 [[0,1],[2,3],...]: panel 0 rows 0..3, panel 1 row 4 + 3 zero rows.
  std::vector<float> a = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  std::vector<float> pa(static_cast<size_t>(packed_a_size(uk, 5, 2)), -1.f);
  ASSERT_EQ(pa.size(), 16u);
  pack_a_panels(uk, 5, 2, GemmOperand{a.data(), 2, false}, 0, 2, pa.data());
  EXPECT_EQ(pa, (std::vector<float>{0, 2, 4, 6, 1, 3, 5, 7, 8, 0, 0, 0, 9, 0, 0, 0}));
  // op(B) = B^T of a 3x2 matrix (K=2, N=3): k-major rows of NR=8, zero past N.
  std::vector<float> b = {1, 2, 3, 4, 5, 6};  // rows j: (1,2) (3,4) (5,6)
  std::vector<float> pb(static_cast<size_t>(packed_b_size(uk, 2, 3)), -1.f);
  pack_b_panels(uk, 2, 3, GemmOperand{b.data(), 2, true}, 0, 1, pb.data());
  EXPECT_EQ(pb, (std::vector<float>{1, 3, 5, 0, 0, 0, 0, 0, 2, 4, 6, 0, 0, 0, 0, 0}));
}

// The registry registers every ISA variant of the GEMM-based ops, best first,
// and a session capped at scalar (FASTSERVE_MAX_ISA=scalar) gets the portable one.
TEST(GemmEngine, RegistrySelectsPortableKernelWhenCappedToScalar) {
  const KernelRegistry& reg = KernelRegistry::global();
  const std::vector<Attribute> no_attrs;
  const std::vector<TensorInfo> mm_in = {TensorInfo::with_shape(DType::kF32, Shape{4, 8}),
                                         TensorInfo::with_shape(DType::kF32, Shape{8, 3})};
  const std::vector<TensorInfo> mm_out = {TensorInfo::with_shape(DType::kF32, Shape{4, 3})};
  const NodeView matmul("mm", "MatMul", "", 17, &no_attrs, mm_in, mm_out);
  auto scalar = reg.select(matmul, Device::kCpu, Isa::kScalar);
  ASSERT_TRUE(scalar.ok()) << scalar.status().to_string();
  EXPECT_STREQ((*scalar)->name, "matmul_f32__portable");
  auto avx2 = reg.select(matmul, Device::kCpu, Isa::kAvx2);
  ASSERT_TRUE(avx2.ok());
  EXPECT_STREQ((*avx2)->name, "matmul_f32__avx2");
  auto avx512 = reg.select(matmul, Device::kCpu, Isa::kAvx512);
  ASSERT_TRUE(avx512.ok());
  EXPECT_STREQ((*avx512)->name, "matmul_f32__avx512");

  const std::vector<TensorInfo> conv_in = {TensorInfo::with_shape(DType::kF32, Shape{1, 3, 8, 8}),
                                           TensorInfo::with_shape(DType::kF32, Shape{4, 3, 3, 3})};
  const std::vector<TensorInfo> conv_out = {TensorInfo::with_shape(DType::kF32, Shape{1, 4, 6, 6})};
  const NodeView conv("c", "Conv", "", 17, &no_attrs, conv_in, conv_out);
  auto conv_scalar = reg.select(conv, Device::kCpu, Isa::kScalar);
  ASSERT_TRUE(conv_scalar.ok());
  EXPECT_STREQ((*conv_scalar)->name, "conv_f32_im2col_gemm__portable");

  const std::vector<TensorInfo> gemm_in = mm_in;
  const NodeView gemm("g", "Gemm", "", 13, &no_attrs, gemm_in, mm_out);
  auto gemm_scalar = reg.select(gemm, Device::kCpu, Isa::kScalar);
  ASSERT_TRUE(gemm_scalar.ok());
  EXPECT_STREQ((*gemm_scalar)->name, "gemm_f32__portable");
}

}  // namespace
}  // namespace fastserve
