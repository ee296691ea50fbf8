// The sparse CPU kernels (kernels/cpu/sparse/, conv_sparse.cc) against plain
// references on random shapes and sparsities: the SpMM and SpMV
// microkernels of every ISA the host runs (column tails, n = 1, empty rows,
// bias / residual / activations), the sparse Conv / FusedConv (each way of
// feeding D: the input itself for 1x1, shifted padded planes for stride 1
// (padded, unpadded, dilated, 1-D), im2col panels for strides; a 7x7 output
// that splits rows, a batch; each activation, with Z and with Y aliasing Z), sparse MatMul / FusedMatMul /
// Gemm (M = 1 and M > 64, transB, alpha / beta, bias and activations); and the choice: the registry picks the
// sparse kernel above the break-even sparsity and the dense one below it.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "graph/op_schema.h"
#include "kernels/cpu/sparse/spmm_ukernel.h"
#include "runtime/kernel_registry.h"
#include "tests/kernels/cpu/conv_harness.h"
#include "tests/kernels/cpu/sparse/host_ukernels.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_floats;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

// Random values with `sparsity` of them exactly 0.
Tensor sparse_random(Shape shape, double sparsity, std::mt19937& rng) {
  Tensor t = testing::random_f32(std::move(shape), rng);
  std::bernoulli_distribution zero(sparsity);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (zero(rng)) t.data<float>()[i] = 0.f;
  }
  return t;
}

std::vector<const SpmmUkernel*> host_spmm_ukernels() {
#if defined(__x86_64__) || defined(_M_X64)
  return testing::host_ukernels(&kSpmmPortable, {&kSpmmAvx2, &kSpmmAvx512});
#else
  return {&kSpmmPortable};
#endif
}

TEST(SparseMatrix, CsrFromDenseAndSparsity) {
  const std::vector<float> a = {0, 2, 0, 3, 0, 0, 0, 0, 1};  // 3 x 3
  const SparseMatrix s = sparse_from_dense(a.data(), 3, 3, 3, 1, 2.f);
  EXPECT_EQ(s.row_ptr, (std::vector<int32_t>{0, 1, 2, 3}));
  EXPECT_EQ(s.col, (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(s.val, (std::vector<float>{4, 6, 2}));
  const SparseMatrix t = sparse_from_dense(a.data(), 3, 3, 1, 3);  // the transpose
  EXPECT_EQ(t.col, (std::vector<int32_t>{1, 0, 2}));
  EXPECT_EQ(t.row_ptr, (std::vector<int32_t>{0, 1, 2, 3}));
  const Tensor w = Tensor::from_vector(a, Shape{3, 3});
  EXPECT_NEAR(zero_fraction(w), 6.0 / 9.0, 1e-12);
  EXPECT_TRUE(zero_fraction_at_least(w, 0.6));
  EXPECT_TRUE(zero_fraction_at_least(w, 6.0 / 9.0));
  EXPECT_FALSE(zero_fraction_at_least(w, 0.7));
}

TEST(Spmm, EveryUkernelMatchesThePlainProduct) {
  std::mt19937 rng(77);
  struct Case {
    int64_t rows, k, n, ldd_extra;
    double sparsity;
  };
  const Case cases[] = {{5, 9, 1, 0, 0.5},      {7, 33, 17, 3, 0.9},      {16, 64, 64, 0, 0.7},
                        {3, 100, 130, 5, 0.95}, {9, 20, 64 + 16, 0, 0.0}, {4, 12, 200, 0, 1.0},
                        {1, 1, 1, 0, 0.0}};
  const GemmActivation acts[] = {GemmActivation::kNone, GemmActivation::kRelu, GemmActivation::kClamp};
  for (const SpmmUkernel* uk : host_spmm_ukernels()) {
    for (const Case& c : cases) {
      const Tensor w = sparse_random({c.rows, c.k}, c.sparsity, rng);
      const SparseMatrix s = sparse_from_dense(w.data<float>(), c.rows, c.k, c.k, 1);
      const int64_t ldd = c.n + c.ldd_extra, ldc = c.n + 2;
      const Tensor d = testing::random_f32({c.k, ldd}, rng);
      const Tensor bias = testing::random_f32({c.rows}, rng);
      const Tensor z = testing::random_f32({c.rows, ldc}, rng);
      for (GemmActivation act : acts) {
        for (bool with_z : {false, true}) {
          SCOPED_TRACE(std::string(uk->name) + " rows " + std::to_string(c.rows) + " k " +
                       std::to_string(c.k) + " n " + std::to_string(c.n) + " act " +
                       std::to_string(static_cast<int>(act)) + (with_z ? " with Z" : ""));
          SpmmParams p;
          p.bias = bias.data<float>();
          p.activation = act;
          p.clamp_min = -0.5f;
          p.clamp_max = 0.7f;
          p.beta = with_z ? 1.f : 0.f;
          std::vector<float> c_out(static_cast<size_t>(c.rows * ldc), 42.f);
          if (with_z) std::copy(z.data<float>(), z.data<float>() + c.rows * ldc, c_out.begin());
          // Rows in two calls, as the kernels' tasks split them.
          const int64_t mid = c.rows / 2;
          const std::vector<int32_t> doff = plain_nonzero_offsets(s, ldd);
          uk->fn(s, 0, mid, d.data<float>(), doff.data(), c.n, c_out.data(), ldc, p);
          uk->fn(s, mid, c.rows, d.data<float>(), doff.data(), c.n, c_out.data(), ldc, p);
          for (int64_t r = 0; r < c.rows; ++r) {
            for (int64_t j = 0; j < ldc; ++j) {
              const float got = c_out[static_cast<size_t>(r * ldc + j)];
              if (j >= c.n) {
                ASSERT_EQ(got, with_z ? z.data<float>()[r * ldc + j] : 42.f)
                    << "column " << j << " is past n";
                continue;
              }
              double want = bias.data<float>()[r] + (with_z ? z.data<float>()[r * ldc + j] : 0.0);
              for (int64_t i = 0; i < c.k; ++i) {
                want += static_cast<double>(w.data<float>()[r * c.k + i]) * d.data<float>()[i * ldd + j];
              }
              if (act == GemmActivation::kRelu) want = std::max(want, 0.0);
              if (act == GemmActivation::kClamp) want = std::min(std::max(want, -0.5), 0.7);
              ASSERT_NEAR(got, want, 1e-4 * (1 + std::fabs(want))) << "r " << r << " j " << j;
            }
          }
        }
      }
    }
  }
}

TEST(Spmv, EveryUkernelMatchesThePlainProduct) {
  std::mt19937 rng(78);
  for (const SpmmUkernel* uk : host_spmm_ukernels()) {
    for (int64_t k : {1, 7, 16, 31, 33, 100, 517}) {
      for (double sparsity : {0.0, 0.5, 0.9, 1.0}) {
        SCOPED_TRACE(std::string(uk->name) + " k " + std::to_string(k) + " sparsity " +
                     std::to_string(sparsity));
        const int64_t rows = 13;
        const Tensor w = sparse_random({rows, k}, sparsity, rng);
        const SparseMatrix s = sparse_from_dense(w.data<float>(), rows, k, k, 1);
        const Tensor x = testing::random_f32({k}, rng);
        const Tensor bias = testing::random_f32({rows}, rng);
        for (GemmActivation act : {GemmActivation::kNone, GemmActivation::kRelu}) {
          for (float beta : {0.f, 1.f}) {
            SpmmParams p;
            p.bias = bias.data<float>();
            p.activation = act;
            p.beta = beta;
            std::vector<float> y(static_cast<size_t>(rows), 0.25f);
            uk->spmv(s, 0, 5, x.data<float>(), y.data(), p);
            uk->spmv(s, 5, rows, x.data<float>(), y.data(), p);
            for (int64_t r = 0; r < rows; ++r) {
              double want = bias.data<float>()[r] + (beta != 0.f ? 0.25 : 0.0);
              for (int64_t i = 0; i < k; ++i)
                want += static_cast<double>(w.data<float>()[r * k + i]) * x.data<float>()[i];
              if (act == GemmActivation::kRelu) want = std::max(want, 0.0);
              ASSERT_NEAR(y[static_cast<size_t>(r)], want, 1e-4 * (1 + std::fabs(want))) << "row " << r;
            }
          }
        }
      }
    }
  }
}

struct ConvCase {
  const char* label;
  Shape x, w;
  std::vector<Attribute> attrs;
};

TEST(SparseConv, MatchesTheReferenceOnRandomShapesAndSparsities) {
  std::mt19937 rng(5);
  const std::vector<const KernelDesc*> conv = conv_test::host_kernels("Conv", "_sparse__");
  const std::vector<const KernelDesc*> fused = conv_test::host_kernels("FusedConv", "_sparse__");
  ASSERT_FALSE(conv.empty());
  const auto pad1 = attr_ints("pads", {1, 1, 1, 1});
  const std::vector<ConvCase> cases = {
      {"3x3 pad 1, 20x18 output (several panels)", {1, 8, 20, 18}, {16, 8, 3, 3}, {pad1}},
      {"3x3 stride 2, asymmetric pads",
       {1, 5, 19, 23},
       {7, 5, 3, 3},
       {attr_ints("pads", {1, 0, 2, 1}), attr_ints("strides", {2, 2})}},
      {"1x1 direct, 2 images", {2, 24, 9, 15}, {20, 24, 1, 1}, {}},
      {"1x1 stride 2 (gathered)", {1, 16, 10, 10}, {8, 16, 1, 1}, {attr_ints("strides", {2, 2})}},
      {"7x7 output: one panel, rows split", {1, 32, 7, 7}, {64, 32, 3, 3}, {pad1}},
      {"1-D, dilated", {2, 6, 40}, {10, 6, 5}, {attr_ints("dilations", {2}), attr_ints("pads", {3, 1})}},
      {"3x3 unpadded, dilated (shifted, grid wider than the output)",
       {1, 4, 13, 17},
       {6, 4, 3, 3},
       {attr_ints("dilations", {2, 3})}},
      {"1x1 padded (shifted)", {1, 5, 6, 6}, {9, 5, 1, 1}, {pad1}},
      {"5x5 pad 2, 56 wide (several blocks per row)",
       {1, 3, 9, 56},
       {8, 3, 5, 5},
       {attr_ints("pads", {2, 2, 2, 2})}},
      // W cut into K chunks of whole channels (kChunkFloats): 3 for each.
      {"3x3 pad 1, 150 channels (K chunks)", {1, 150, 6, 6}, {12, 150, 3, 3}, {pad1}},
      {"1x1 direct, 200 channels (K chunks)", {1, 200, 5, 5}, {10, 200, 1, 1}, {}},
  };
  for (const ConvCase& c : cases) {
    for (double sparsity : {0.5, 0.9, 0.99}) {
      SCOPED_TRACE(std::string(c.label) + " sparsity " + std::to_string(sparsity));
      const std::vector<Tensor> in = {testing::random_f32(c.x, rng, -2, 2), sparse_random(c.w, sparsity, rng),
                                      testing::random_f32(Shape{c.w[0]}, rng)};
      const OpSpec spec{"Conv", 17, c.attrs};
      const Tensor want = conv_test::reference_output(spec, in);
      ASSERT_TRUE(want.defined());
      for (const KernelDesc* d : conv) {
        SCOPED_TRACE(d->name);
        for (int threads : {1, 2}) conv_test::expect_matches_reference(*d, spec, in, threads, want);
      }
      // FusedConv: the GEMM-epilogue activations, one after it, with Z and Y aliasing Z.
      for (const char* act : {"Relu", "Clip", "Sigmoid"}) {
        OpSpec fs{"FusedConv", 1, c.attrs, 1, "fastserve"};
        fs.attrs.push_back(attr_string("activation", act));
        if (std::string(act) == "Clip") fs.attrs.push_back(attr_floats("activation_params", {-0.5f, 2.f}));
        std::vector<Tensor> with_z = in;
        with_z.push_back(testing::random_f32(want.shape(), rng, -2, 2));
        const Tensor want_z = conv_test::reference_output(fs, with_z);
        for (const KernelDesc* d : fused) {
          SCOPED_TRACE(std::string(d->name) + " " + act);
          conv_test::expect_matches_reference(*d, fs, with_z, 2, want_z);
          conv_test::expect_matches_reference(*d, fs, with_z, 2, want_z, /*alias_z=*/true);
        }
      }
    }
  }
}

// Every runnable descriptor the registry would consider (sparse ones
// included: the weights are constant and pruned) against the reference.
void expect_matmul_kernels(const std::string& label, const OpSpec& spec, const std::vector<Tensor>& inputs) {
  SCOPED_TRACE(label);
  const std::vector<const KernelDesc*> ks = testing::runnable_kernels(spec, inputs);
  bool any_sparse = false;
  for (const KernelDesc* d : ks)
    any_sparse = any_sparse || std::string(d->name).find("_sparse__") != std::string::npos;
  EXPECT_TRUE(any_sparse) << "a pruned constant B should offer the sparse kernels";
  EXPECT_GE(testing::expect_kernels_match_reference(spec, inputs, 1e-4, 1e-4), 2);
}

TEST(SparseMatMul, MatMulFusedMatMulAndGemmMatchTheReference) {
  std::mt19937 rng(9);
  for (double sparsity : {0.95, 0.99}) {  // above kSparseGemmMinSparsity, so the sparse kernels are offered
    const std::string sp = " sparsity " + std::to_string(sparsity);
    expect_matmul_kernels("MatMul M=1" + sp, OpSpec{"MatMul"},
                          {testing::random_f32({1, 70}, rng), sparse_random({70, 33}, sparsity, rng)});
    expect_matmul_kernels("MatMul vector A" + sp, OpSpec{"MatMul"},
                          {testing::random_f32({70}, rng), sparse_random({70, 5}, sparsity, rng)});
    expect_matmul_kernels("MatMul batched A, M=150" + sp, OpSpec{"MatMul"},
                          {testing::random_f32({3, 50, 64}, rng), sparse_random({64, 90}, sparsity, rng)});
    for (const char* act : {"", "Relu", "Gelu"}) {
      OpSpec spec{"FusedMatMul", 1, {}, 1, "fastserve"};
      if (*act != '\0') spec.attrs.push_back(attr_string("activation", act));
      expect_matmul_kernels(std::string("FusedMatMul ") + act + sp, spec,
                            {testing::random_f32({7, 40}, rng), sparse_random({40, 37}, sparsity, rng),
                             testing::random_f32({37}, rng)});
    }
    expect_matmul_kernels(
        "Gemm transB, bias row" + sp,
        OpSpec{"Gemm", 17, {attr_int("transB", 1), attr_float("alpha", 0.5f), attr_float("beta", 2.f)}},
        {testing::random_f32({5, 64}, rng), sparse_random({20, 64}, sparsity, rng),
         testing::random_f32({1, 20}, rng)});
    expect_matmul_kernels("Gemm M=1, no C" + sp, OpSpec{"Gemm", 17, {}},
                          {testing::random_f32({1, 100}, rng), sparse_random({100, 12}, sparsity, rng)});
    expect_matmul_kernels("Gemm M=65, scalar C" + sp, OpSpec{"Gemm", 17, {attr_int("transB", 1)}},
                          {testing::random_f32({65, 30}, rng), sparse_random({9, 30}, sparsity, rng),
                           testing::random_f32({}, rng)});
  }
}

// The registry's pick for a node whose weight has `sparsity` zeros.
std::string chosen(const char* op, const char* domain, const std::vector<Attribute>& attrs, Shape x,
                   const Tensor& w, Isa isa) {
  std::vector<TensorInfo> ins = {TensorInfo::with_shape(DType::kF32, std::move(x)), TensorInfo::of(w)};
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView infer_view("n", op, domain, 17, &attrs, ins, outs);
  EXPECT_TRUE(find_op_schema(op, domain)->infer(infer_view, outs).ok());
  const NodeView view("n", op, domain, std::string(domain).empty() ? 17 : 1, &attrs, ins, outs);
  auto k = KernelRegistry::global().select(view, Device::kCpu, isa);
  EXPECT_TRUE(k.ok()) << k.status().to_string();
  return k.ok() ? (*k)->name : "";
}

// Exactly `zeros` of n values zero (the rest 0.5), so the choice is tested
// right at the break-even.
Tensor with_zeros(Shape shape, int64_t zeros) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = i < zeros ? 0.f : 0.5f;
  return t;
}

TEST(SparseChoice, SparseKernelAboveTheBreakEvenDenseBelow) {
  const Isa isa = host_isa();
  const std::string tag = isa >= Isa::kAvx512 ? "avx512" : isa >= Isa::kAvx2 ? "avx2" : "portable";
  const int64_t n_conv = 64 * 64 * 9;
  const int64_t at = static_cast<int64_t>(std::ceil(kSparseConvMinSparsity * n_conv));
  const std::vector<Attribute> pad1 = {attr_ints("pads", {1, 1, 1, 1})};
  EXPECT_EQ(chosen("Conv", "", pad1, {1, 64, 56, 56}, with_zeros({64, 64, 3, 3}, at), isa),
            "conv_f32_sparse__" + tag);
  EXPECT_EQ(chosen("FusedConv", "fastserve", pad1, {1, 64, 56, 56}, with_zeros({64, 64, 3, 3}, at), isa),
            "fused_conv_f32_sparse__" + tag);
  EXPECT_EQ(chosen("Conv", "", pad1, {1, 64, 56, 56}, with_zeros({64, 64, 3, 3}, at - 1), isa),
            "conv_f32_winograd__" + tag)
      << "one zero short of the break-even: the dense algorithm stays";
  EXPECT_EQ(chosen("Conv", "", {}, {1, 64, 56, 56}, with_zeros({64, 64, 3, 3}, 0), isa),
            "conv_f32_winograd__" + tag);
  // Grouped convs stay dense at any sparsity.
  EXPECT_EQ(chosen("Conv", "", {attr_int("group", 64), attr_ints("pads", {1, 1, 1, 1})}, {1, 64, 56, 56},
                   with_zeros({64, 1, 3, 3}, 64 * 9 - 1), isa),
            "conv_f32_depthwise__" + tag);
  const int64_t n_fc = 1568 * 64;
  const int64_t fc_at = static_cast<int64_t>(std::ceil(kSparseGemmMinSparsity * n_fc));
  const std::vector<Attribute> tb = {attr_int("transB", 1)};
  EXPECT_EQ(chosen("Gemm", "", tb, {1, 1568}, with_zeros({64, 1568}, fc_at), isa), "gemm_f32_sparse__" + tag);
  EXPECT_EQ(chosen("Gemm", "", tb, {1, 1568}, with_zeros({64, 1568}, fc_at - 1), isa), "gemm_f32__" + tag);
  EXPECT_EQ(chosen("MatMul", "", {}, {4, 1568}, with_zeros({1568, 64}, fc_at), isa),
            "matmul_f32_sparse__" + tag);
  EXPECT_EQ(chosen("MatMul", "", {}, {4, 1568}, with_zeros({1568, 64}, fc_at - 1), isa),
            "matmul_f32__" + tag);
  // Capped at a lower ISA, the sparse kernel of that ISA.
  EXPECT_EQ(chosen("MatMul", "", {}, {4, 1568}, with_zeros({1568, 64}, fc_at), Isa::kScalar),
            "matmul_f32_sparse__portable");
}

}  // namespace
}  // namespace fastserve
