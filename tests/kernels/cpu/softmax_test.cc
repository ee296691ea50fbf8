// Optimized f32 Softmax / LogSoftmax (kernels/cpu/softmax/) against the
// reference for every descriptor the host can run: row lengths at vector
// tails, opset 11 (2-D coercion) vs 13 (single axis, strided) semantics,
// axes 0 / middle / last, wide strided slices, and extreme values.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr double kAtol = 1e-6;
constexpr double kRtol = 1e-5;

void check(const Tensor& x, int64_t opset, std::vector<Attribute> attrs = {}) {
  for (const char* op : {"Softmax", "LogSoftmax"}) {
    SCOPED_TRACE(std::string(op) + " " + x.shape().to_string() + " opset " + std::to_string(opset));
    EXPECT_GT(
        expect_kernels_match_reference({.op_type = op, .opset = opset, .attrs = attrs}, {x}, kAtol, kRtol),
        0);
  }
}

TEST(CpuSoftmax, RowsAtTailSizes) {
  std::mt19937 rng(1234);
  for (int64_t n : kTailSizes) {
    check(random_f32({3, n}, rng, -5, 5), 13);
    check(random_f32({n}, rng, -5, 5), 13);
  }
  check(random_f32({512, 100}, rng, -5, 5), 13);  // many rows, threaded
}

TEST(CpuSoftmax, Opset11CoercesTo2D) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4, 5}, rng, -5, 5);
  check(x, 11);                          // default axis 1: rows of 60
  check(x, 11, {attr_int("axis", 0)});   // one row of 120
  check(x, 12, {attr_int("axis", -1)});  // rows of 5
  check(x, 11, {attr_int("axis", 2)});   // rows of 20
}

TEST(CpuSoftmax, Opset13SingleAxisAnyPosition) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({2, 3, 4, 5}, rng, -5, 5);
  for (int64_t axis : {0, 1, 2, 3, -1, -2, -4}) check(x, 13, {attr_int("axis", axis)});
  // Strided slices wider than one column block (64), with a tail block.
  check(random_f32({3, 7, 130}, rng, -5, 5), 13, {attr_int("axis", 1)});
  check(random_f32({2, 33, 65}, rng, -5, 5), 13, {attr_int("axis", -2)});
  check(random_f32({1, 1000, 3}, rng, -5, 5), 13, {attr_int("axis", 1)});
}

TEST(CpuSoftmax, ExtremeValues) {
  const float inf = std::numeric_limits<float>::infinity();
  // Large spreads (exp underflows for most entries), equal values, a -inf
  // entry (exp -> 0), and big magnitudes (max subtraction must avoid overflow).
  check(f32({1000, 1001, -1000, 0, 50, -50, 88, -88, 100, -100, 1e-8f, -1e-8f, 3, 3, 3, 3, 3}, {17}), 13);
  check(f32({-inf, 0, 1, 2, -inf, 5, 6, 7, 8}, {9}), 13);
  check(f32({3e38f, 3e38f, -3e38f}, {3}), 13);
  check(f32(std::vector<float>(33, 7.f), {33}), 13);
}

// Masked attention scores (-FLT_MAX, as GPT-2 exports write them) and
// differences past ln(FLT_MIN): the flushing exp gives exact zeros, never
// denormals (which cost microcode assists in the kernels after), and the
// unmasked entries still match the reference.
TEST(CpuSoftmax, MaskedScoresGiveExactZerosNotDenormals) {
  const float lowest = std::numeric_limits<float>::lowest();
  std::vector<float> v;
  for (int r = 0; r < 5; ++r) {
    for (int j = 0; j < 37; ++j) v.push_back(j <= r * 7 ? 0.25f * static_cast<float>(j % 5) : lowest);
  }
  v[40] = -100.f;  // exp(-100 - max) is a denormal: flushed
  const Tensor x = f32(v, {5, 37});
  for (bool log : {false, true}) {
    const OpSpec spec{.op_type = log ? "LogSoftmax" : "Softmax", .opset = 13};
    EXPECT_GT(expect_kernels_match_reference(spec, {x}, 1e-6, 1e-5), 0);
    if (log) continue;
    for (const KernelDesc* d : runnable_kernels(spec, {x})) {
      if (std::string(d->name).find("__ref") != std::string::npos) continue;  // exact math: denormals are right there
      Result<std::vector<Tensor>> y = run_kernel(*d, spec, {x});
      ASSERT_TRUE(y.ok()) << d->name;
      for (int64_t i = 0; i < y.value()[0].numel(); ++i) {
        const float e = y.value()[0].data<float>()[i];
        EXPECT_TRUE(e == 0.f || std::fabs(e) >= std::numeric_limits<float>::min()) << d->name << " [" << i << "] " << e;
      }
    }
  }
}

TEST(CpuSoftmax, EmptyTensor) {
  check(f32({}, {0, 7}), 13);
  check(f32({}, {4, 0, 3}), 13, {attr_int("axis", 1)});
}

}  // namespace
}  // namespace fastserve::testing::ew
