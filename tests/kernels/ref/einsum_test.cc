// Reference Einsum (kernels/ref/einsum.cc): each equation form against
// explicit loops written here for it (batched matmul, attention scores,
// transpose, reduction, diagonal, trace, outer and inner products, implicit
// output, ellipsis with broadcasting), integer dtypes, and equation errors.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

std::vector<Tensor> einsum(const std::string& eq, const std::vector<Tensor>& inputs) {
  return run_ref({.op_type = "Einsum", .opset = 12, .attrs = {attr_string("equation", eq)}}, inputs);
}

float at(const Tensor& t, std::vector<int64_t> idx) {
  int64_t off = 0;
  for (size_t d = 0; d < idx.size(); ++d) off = off * t.dim(d) + idx[d];
  return t.data<float>()[off];
}

TEST(RefEinsum, BatchedMatmulAndAttentionScores) {
  std::mt19937 rng(12);
  const Tensor a = random_f32({3, 4, 5}, rng), b = random_f32({3, 5, 2}, rng);
  const std::vector<Tensor> y = einsum("bij,bjk->bik", {a, b});
  ASSERT_EQ(y.size(), 1u);
  Tensor want = Tensor::zeros(DType::kF32, {3, 4, 2});
  for (int64_t n = 0; n < 3; ++n)
    for (int64_t i = 0; i < 4; ++i)
      for (int64_t k = 0; k < 2; ++k) {
        double s = 0;
        for (int64_t j = 0; j < 5; ++j) s += at(a, {n, i, j}) * at(b, {n, j, k});
        want.data<float>()[(n * 4 + i) * 2 + k] = static_cast<float>(s);
      }
  EXPECT_TRUE(tensors_near(y[0], want, 1e-6, 1e-5));

  const Tensor q = random_f32({2, 3, 4, 8}, rng), k = random_f32({2, 3, 6, 8}, rng);
  const std::vector<Tensor> s = einsum("bhqd,bhkd->bhqk", {q, k});
  ASSERT_EQ(s.size(), 1u);
  ASSERT_EQ(s[0].shape(), (Shape{2, 3, 4, 6}));
  Tensor ws = Tensor::zeros(DType::kF32, {2, 3, 4, 6});
  for (int64_t bb = 0; bb < 2; ++bb)
    for (int64_t h = 0; h < 3; ++h)
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 6; ++j) {
          double acc = 0;
          for (int64_t d = 0; d < 8; ++d) acc += at(q, {bb, h, i, d}) * at(k, {bb, h, j, d});
          ws.data<float>()[((bb * 3 + h) * 4 + i) * 6 + j] = static_cast<float>(acc);
        }
  EXPECT_TRUE(tensors_near(s[0], ws, 1e-6, 1e-5));
}

TEST(RefEinsum, TransposeReductionDiagonalAndTrace) {
  std::mt19937 rng(13);
  const Tensor m = random_f32({3, 5}, rng);
  // Explicit transpose and the implicit form "ba" (output letters sorted: "ab").
  for (const std::string& eq : {std::string("ij->ji"), std::string("ba")}) {
    const std::vector<Tensor> t = einsum(eq, {m});
    ASSERT_EQ(t.size(), 1u) << eq;
    Tensor want = Tensor::empty(DType::kF32, {5, 3});
    for (int64_t i = 0; i < 3; ++i)
      for (int64_t j = 0; j < 5; ++j) want.data<float>()[j * 3 + i] = at(m, {i, j});
    EXPECT_TRUE(tensors_near(t[0], want, 0, 0)) << eq;
  }
  const std::vector<Tensor> r = einsum("ij->i", {m});
  ASSERT_EQ(r.size(), 1u);
  Tensor rw = Tensor::empty(DType::kF32, {3});
  for (int64_t i = 0; i < 3; ++i) {
    double s = 0;
    for (int64_t j = 0; j < 5; ++j) s += at(m, {i, j});
    rw.data<float>()[i] = static_cast<float>(s);
  }
  EXPECT_TRUE(tensors_near(r[0], rw, 1e-6, 1e-5));

  const Tensor sq = random_f32({4, 4}, rng);
  const std::vector<Tensor> diag = einsum("ii->i", {sq});
  const std::vector<Tensor> trace = einsum("ii", {sq});  // implicit: i appears twice, so summed
  ASSERT_EQ(diag.size(), 1u);
  ASSERT_EQ(trace.size(), 1u);
  Tensor dw = Tensor::empty(DType::kF32, {4});
  double tr = 0;
  for (int64_t i = 0; i < 4; ++i) {
    dw.data<float>()[i] = at(sq, {i, i});
    tr += at(sq, {i, i});
  }
  EXPECT_TRUE(tensors_near(diag[0], dw, 0, 0));
  EXPECT_EQ(trace[0].shape(), Shape{});
  EXPECT_NEAR(trace[0].data<float>()[0], tr, 1e-5);
  // A batch of diagonals with the ellipsis.
  const Tensor bd = random_f32({2, 3, 3}, rng);
  const std::vector<Tensor> bdy = einsum("...ii->...i", {bd});
  ASSERT_EQ(bdy.size(), 1u);
  Tensor bdw = Tensor::empty(DType::kF32, {2, 3});
  for (int64_t b = 0; b < 2; ++b)
    for (int64_t i = 0; i < 3; ++i) bdw.data<float>()[b * 3 + i] = at(bd, {b, i, i});
  EXPECT_TRUE(tensors_near(bdy[0], bdw, 0, 0));
}

TEST(RefEinsum, OuterAndInnerProductsAndImplicitMatmul) {
  std::mt19937 rng(14);
  const Tensor u = random_f32({4}, rng), v = random_f32({3}, rng), w = random_f32({4}, rng);
  const std::vector<Tensor> outer = einsum("i,j->ij", {u, v});
  ASSERT_EQ(outer.size(), 1u);
  Tensor ow = Tensor::empty(DType::kF32, {4, 3});
  for (int64_t i = 0; i < 4; ++i)
    for (int64_t j = 0; j < 3; ++j) ow.data<float>()[i * 3 + j] = u.data<float>()[i] * v.data<float>()[j];
  EXPECT_TRUE(tensors_near(outer[0], ow, 1e-7, 1e-6));
  const std::vector<Tensor> inner = einsum("i,i", {u, w});
  ASSERT_EQ(inner.size(), 1u);
  double dot = 0;
  for (int64_t i = 0; i < 4; ++i) dot += u.data<float>()[i] * w.data<float>()[i];
  EXPECT_EQ(inner[0].shape(), Shape{});
  EXPECT_NEAR(inner[0].data<float>()[0], dot, 1e-6);
  // "ij,jk" implicit -> "ik".
  const Tensor a = random_f32({2, 3}, rng), b = random_f32({3, 4}, rng);
  const std::vector<Tensor> mm = einsum("ij,jk", {a, b});
  ASSERT_EQ(mm.size(), 1u);
  Tensor mw = Tensor::empty(DType::kF32, {2, 4});
  for (int64_t i = 0; i < 2; ++i)
    for (int64_t k = 0; k < 4; ++k) {
      double s = 0;
      for (int64_t j = 0; j < 3; ++j) s += at(a, {i, j}) * at(b, {j, k});
      mw.data<float>()[i * 4 + k] = static_cast<float>(s);
    }
  EXPECT_TRUE(tensors_near(mm[0], mw, 1e-6, 1e-5));
}

TEST(RefEinsum, EllipsisBroadcastsBatchDims) {
  std::mt19937 rng(15);
  // a [2, 1, 3, 4] and b [5, 4, 2]: the ellipsis dims [2, 1] and [5] broadcast to [2, 5].
  const Tensor a = random_f32({2, 1, 3, 4}, rng), b = random_f32({5, 4, 2}, rng);
  const std::vector<Tensor> y = einsum("...ij,...jk->...ik", {a, b});
  ASSERT_EQ(y.size(), 1u);
  ASSERT_EQ(y[0].shape(), (Shape{2, 5, 3, 2}));
  Tensor want = Tensor::empty(DType::kF32, {2, 5, 3, 2});
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 5; ++q)
      for (int64_t i = 0; i < 3; ++i)
        for (int64_t k = 0; k < 2; ++k) {
          double s = 0;
          for (int64_t j = 0; j < 4; ++j) s += at(a, {p, 0, i, j}) * at(b, {q, j, k});
          want.data<float>()[((p * 5 + q) * 3 + i) * 2 + k] = static_cast<float>(s);
        }
  EXPECT_TRUE(tensors_near(y[0], want, 1e-6, 1e-5));
}

TEST(RefEinsum, IntegerTypesSumExactly) {
  const Tensor a32 = Tensor::from_vector<int32_t>({1, 2, 3, 4, 5, 6}, {2, 3});
  const Tensor b32 = Tensor::from_vector<int32_t>({7, 8, 9, 10, 11, 12}, {3, 2});
  const std::vector<Tensor> y32 = einsum("ij,jk->ik", {a32, b32});
  ASSERT_EQ(y32.size(), 1u);
  // [1 2 3; 4 5 6] x [7 8; 9 10; 11 12] = [58 64; 139 154].
  EXPECT_TRUE(tensors_near(y32[0], Tensor::from_vector<int32_t>({58, 64, 139, 154}, {2, 2}), 0, 0));
  const Tensor a64 = Tensor::from_vector<int64_t>({3000000000LL, 1, 2, 5}, {2, 2});
  const std::vector<Tensor> y64 = einsum("ij->j", {a64});
  ASSERT_EQ(y64.size(), 1u);
  EXPECT_TRUE(tensors_near(y64[0], Tensor::from_vector<int64_t>({3000000002LL, 6}, {2}), 0, 0));
}

TEST(RefEinsum, DoubleAndBfloat16MatchTheFloatResult) {
  std::mt19937 rng(16);
  const Tensor a = random_f32({2, 3, 4}, rng), b = random_f32({2, 4, 5}, rng);
  const std::vector<Tensor> want = einsum("bij,bjk->bik", {a, b});
  ASSERT_EQ(want.size(), 1u);
  const auto convert = [](const Tensor& t, DType to) {
    Tensor out = Tensor::empty(to, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) {
      const float v = t.data<float>()[i];
      if (to == DType::kF64) {
        out.data<double>()[i] = v;
      } else {
        out.data<BFloat16>()[i] = BFloat16{float_to_bf16(v)};
      }
    }
    return out;
  };
  const std::vector<Tensor> f64 = einsum("bij,bjk->bik", {convert(a, DType::kF64), convert(b, DType::kF64)});
  ASSERT_EQ(f64.size(), 1u);
  ASSERT_EQ(f64[0].dtype(), DType::kF64);
  for (int64_t i = 0; i < want[0].numel(); ++i) EXPECT_NEAR(f64[0].data<double>()[i], want[0].data<float>()[i], 1e-6);
  // bf16 inputs carry 8 mantissa bits: compare with the float result of the rounded inputs.
  const Tensor ab = convert(a, DType::kBF16), bb = convert(b, DType::kBF16);
  const std::vector<Tensor> bf = einsum("bij,bjk->bik", {ab, bb});
  ASSERT_EQ(bf.size(), 1u);
  ASSERT_EQ(bf[0].dtype(), DType::kBF16);
  const auto widen = [](const Tensor& t) {
    Tensor out = Tensor::empty(DType::kF32, t.shape());
    for (int64_t i = 0; i < t.numel(); ++i) out.data<float>()[i] = bf16_to_float(t.data<BFloat16>()[i].bits);
    return out;
  };
  const std::vector<Tensor> rounded = einsum("bij,bjk->bik", {widen(ab), widen(bb)});
  ASSERT_EQ(rounded.size(), 1u);
  EXPECT_TRUE(tensors_near(widen(bf[0]), rounded[0], 1e-6, 1.0 / 128));
}

TEST(RefEinsum, EmptyContractionGivesZeros) {
  // j has size 0: every output element is an empty sum.
  const Tensor a = Tensor::empty(DType::kF32, {2, 0}), b = Tensor::empty(DType::kF32, {0, 3});
  const std::vector<Tensor> y = einsum("ij,jk->ik", {a, b});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], Tensor::zeros(DType::kF32, {2, 3}), 0, 0));
  const std::vector<Tensor> e = einsum("ij->j", {Tensor::empty(DType::kF32, {3, 0})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].shape(), Shape{0});
}

TEST(RefEinsum, BadEquationsAreRejected) {
  const Tensor m = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  // Inference refuses these first; this checks the kernel's own parse.
  const auto status = [&](const std::string& eq, const std::vector<Tensor>& in) {
    std::vector<Tensor> outs = {Tensor::empty(DType::kF32, {1})};
    return run_ref_without_inference({.op_type = "Einsum", .opset = 12, .attrs = {attr_string("equation", eq)}}, in,
                                     outs);
  };
  EXPECT_FALSE(status("ij,jk->ik", {m}).ok());      // two terms, one input
  EXPECT_FALSE(status("ijk->i", {m}).ok());         // rank 2 named with 3 letters
  EXPECT_FALSE(status("ij,ij->ij", {m, f32({1, 2, 3, 4, 5, 6}, {3, 2})}).ok());  // i is 2 and 3
  const Status s = status("ij->k", {m});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("'k'"), std::string::npos) << s.message();
  EXPECT_FALSE(status("i1->i", {m}).ok());
  EXPECT_FALSE(status("ij->ii", {m}).ok());
}

}  // namespace
}  // namespace fastserve::testing::ew
