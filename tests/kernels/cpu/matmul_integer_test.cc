// MatMulInteger's INT8 GEMM kernels (kernels/cpu/qgemm/matmul_integer.cc)
// against the reference kernel: every sign combination of A and B (the u8 x
// s8 GEMM shifts the others by 128), scalar and per-column B zero points,
// batched A, tails in M, N and K. Integer results: exact.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "tests/test_util.h"

namespace fastserve {
namespace {

Tensor random_bytes(DType t, Shape s, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(0, 255);
  Tensor x = Tensor::empty(t, std::move(s));
  auto* d = static_cast<uint8_t*>(x.raw_data());
  for (int64_t i = 0; i < x.numel(); ++i) d[i] = static_cast<uint8_t>(u(rng));
  return x;
}

Tensor zero_point(DType t, std::vector<int> v, bool vector) {
  Tensor z = Tensor::empty(t, vector ? Shape{static_cast<int64_t>(v.size())} : Shape{});
  for (size_t i = 0; i < v.size(); ++i) {
    if (t == DType::kU8) {
      z.data<uint8_t>()[i] = static_cast<uint8_t>(v[i]);
    } else {
      z.data<int8_t>()[i] = static_cast<int8_t>(v[i]);
    }
  }
  return z;
}

TEST(MatMulIntegerCpu, EverySignComboAndZeroPointLayoutMatchesTheReference) {
  std::mt19937 rng(11);
  struct Case {
    Shape a, b;
  };
  const Case cases[] = {{{5, 7}, {7, 3}}, {{2, 3, 33}, {33, 40}}, {{30, 64}, {64, 65}}};
  for (const Case& c : cases) {
    for (DType ta : {DType::kU8, DType::kI8}) {
      for (DType tb : {DType::kU8, DType::kI8}) {
        for (int zp_kind = 0; zp_kind < 3; ++zp_kind) {  // none, scalars, per-column B
          SCOPED_TRACE(c.a.to_string() + " x " + c.b.to_string() + " " + dtype_name(ta) + " x " + dtype_name(tb) +
                       " zp kind " + std::to_string(zp_kind));
          std::vector<Tensor> in = {random_bytes(ta, c.a, rng), random_bytes(tb, c.b, rng)};
          const int64_t n = c.b[1];
          if (zp_kind >= 1) {
            in.push_back(zero_point(ta, {ta == DType::kU8 ? 100 : -7}, false));
            if (zp_kind == 1) {
              in.push_back(zero_point(tb, {tb == DType::kU8 ? 130 : 3}, false));
            } else {
              std::vector<int> zb(static_cast<size_t>(n));
              for (int64_t j = 0; j < n; ++j) zb[static_cast<size_t>(j)] = (tb == DType::kU8 ? 120 : -5) + static_cast<int>(j % 9);
              in.push_back(zero_point(tb, zb, true));
            }
          }
          const testing::OpSpec spec{"MatMulInteger", 10};
          EXPECT_GE(testing::expect_kernels_match_reference(spec, in, 0, 0), 1);
        }
      }
    }
  }
}

}  // namespace
}  // namespace fastserve

namespace fastserve {
namespace {

// DynamicQuantizeLinear's vector kernels against the reference: bit-identical
// y, scale and zero point on random sizes (tails of the 16-lane loops, more
// than one parallel chunk), one-signed data, all zeros, and NaN / inf.
TEST(DynamicQuantizeCpu, BitIdenticalToTheReference) {
  std::mt19937 rng(12);
  const std::vector<std::pair<int64_t, std::pair<double, double>>> cases = {
      {1, {-1.0, 1.0}}, {15, {-2.0, 3.0}}, {33, {0.5, 4.0}}, {40001, {-7.0, 2.0}}, {100, {-3.0, -1.0}}};
  for (const auto& [n, range] : cases) {
    SCOPED_TRACE(std::to_string(n));
    Tensor x = testing::random_f32({n}, rng, range.first, range.second);
    EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"DynamicQuantizeLinear", 11, {}, 3}, {x}, 0, 0), 1);
  }
  Tensor zeros = Tensor::zeros(DType::kF32, Shape{37});
  EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"DynamicQuantizeLinear", 11, {}, 3}, {zeros}, 0, 0), 1);
  Tensor odd = testing::random_f32({50}, rng, -1.0, 1.0);
  odd.data<float>()[3] = std::nanf("");
  odd.data<float>()[20] = std::nanf("");
  EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"DynamicQuantizeLinear", 11, {}, 3}, {odd}, 0, 0), 1);
}

}  // namespace
}  // namespace fastserve

namespace fastserve {
namespace {

// The per-tensor 8-bit DequantizeLinear kernels against the reference, bit-identical.
TEST(DequantizeLinearCpu, PerTensorEightBitMatchesTheReference) {
  std::mt19937 rng(13);
  for (DType t : {DType::kU8, DType::kI8}) {
    for (int64_t n : {1, 17, 70000}) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " " + std::to_string(n));
      Tensor x = random_bytes(t, Shape{n}, rng);
      Tensor zp = zero_point(t, {t == DType::kU8 ? 129 : -3}, false);
      const std::vector<Tensor> in = {x, Tensor::scalar<float>(0.0173f), zp};
      EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"DequantizeLinear", 13}, in, 0, 0), 1);
      const std::vector<Tensor> no_zp = {x, Tensor::scalar<float>(0.5f)};
      EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"DequantizeLinear", 13}, no_zp, 0, 0), 1);
    }
  }
}

}  // namespace
}  // namespace fastserve

