// Optimized pooling and BatchNormalization (kernels/cpu/pool/,
// kernels/cpu/batchnorm/) against the reference: kernel sizes, strides,
// dilations, asymmetric pads, auto_pad, ceil_mode, count_include_pad, 1-D;
// global pools; BatchNorm with constant and run-time parameters.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/cpu/nn_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

void check(const std::string& label, const OpSpec& spec, const std::vector<Tensor>& inputs) {
  SCOPED_TRACE(label);
  EXPECT_GT(testing::expect_kernels_match_reference(spec, inputs, 1e-5, 1e-5), 0);
  EXPECT_GT(nn_test::expect_dynamic_kernels_match_reference(spec, inputs, 1e-5, 1e-5), 0);
}

struct PoolCase {
  std::string label;
  Shape x;
  std::vector<Attribute> attrs;
};

std::vector<PoolCase> pool_cases() {
  return {
      {"3x3 s2 p1",
       {2, 3, 11, 10},
       {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})}},
      {"2x2 s2", {1, 4, 8, 7}, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})}},
      // max_pool_f32_2x2s2__avx512: full 16-wide steps and a tail, odd sizes, zero pads spelled out.
      {"2x2 s2 wide, odd",
       {2, 3, 9, 71},
       {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2}), attr_ints("pads", {0, 0, 0, 0})}},
      {"2x2 s2 VALID, 32 wide",
       {1, 5, 4, 32},
       {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2}), attr_string("auto_pad", "VALID")}},
      // max_pool_f32_3x3s2p1__avx512 (ResNet's): even and odd sizes, one 16-wide step and tails.
      {"3x3 s2 p1 even",
       {1, 3, 12, 36},
       {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})}},
      {"3x3 s2 p1 odd, tiny",
       {2, 2, 3, 5},
       {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})}},
      {"3x3 s2 p1 1 wide",
       {1, 1, 4, 1},
       {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})}},
      {"2x2 s2 ceil_mode (portable)",
       {1, 2, 7, 9},
       {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2}), attr_int("ceil_mode", 1)}},
      {"asym pads dilated",
       {1, 2, 13, 9},
       {attr_ints("kernel_shape", {3, 2}), attr_ints("dilations", {2, 3}), attr_ints("pads", {2, 0, 1, 3})}},
      {"ceil_mode",
       {1, 3, 10, 11},
       {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 3}), attr_int("ceil_mode", 1),
        attr_ints("pads", {0, 1, 1, 0})}},
      {"SAME_UPPER",
       {1, 2, 9, 8},
       {attr_ints("kernel_shape", {4, 3}), attr_ints("strides", {2, 2}),
        attr_string("auto_pad", "SAME_UPPER")}},
      {"SAME_LOWER",
       {1, 2, 9, 8},
       {attr_ints("kernel_shape", {4, 3}), attr_ints("strides", {2, 2}),
        attr_string("auto_pad", "SAME_LOWER")}},
      {"VALID", {1, 2, 9, 8}, {attr_ints("kernel_shape", {4, 3}), attr_string("auto_pad", "VALID")}},
      {"1-D",
       {2, 3, 17},
       {attr_ints("kernel_shape", {3}), attr_ints("strides", {2}), attr_ints("pads", {1, 1})}},
  };
}

TEST(PoolCpu, MaxPoolMatchesReference) {
  std::mt19937 rng(1234);
  for (const PoolCase& c : pool_cases()) {
    check("MaxPool " + c.label, OpSpec{"MaxPool", 12, c.attrs}, {testing::random_f32(c.x, rng)});
  }
}

TEST(PoolCpu, AveragePoolMatchesReferenceWithAndWithoutPadCounting) {
  std::mt19937 rng(1234);
  for (const PoolCase& c : pool_cases()) {
    for (int include : {0, 1}) {
      std::vector<Attribute> attrs = c.attrs;
      attrs.push_back(attr_int("count_include_pad", include));
      check("AveragePool " + c.label + " count_include_pad=" + std::to_string(include),
            OpSpec{"AveragePool", 19, attrs}, {testing::random_f32(c.x, rng)});
    }
  }
}

TEST(PoolCpu, MaxPoolWithIndicesIsReferenceOnly) {
  std::mt19937 rng(1234);
  const OpSpec spec{"MaxPool", 12, {attr_ints("kernel_shape", {2, 2})}, 2};
  EXPECT_EQ(testing::expect_kernels_match_reference(spec, {testing::random_f32({1, 2, 4, 4}, rng)}), 0);
}

TEST(PoolCpu, GlobalPoolsMatchReference) {
  std::mt19937 rng(1234);
  for (const Shape& s : {Shape{2, 5, 7, 9}, Shape{1, 3, 1, 1}, Shape{1, 17, 3}, Shape{2, 2, 3, 4, 5}}) {
    check("GlobalAveragePool " + s.to_string(), OpSpec{"GlobalAveragePool"}, {testing::random_f32(s, rng)});
    check("GlobalMaxPool " + s.to_string(), OpSpec{"GlobalMaxPool"}, {testing::random_f32(s, rng)});
  }
}

TEST(BatchNormCpu, MatchesReferenceForRanks2To5) {
  std::mt19937 rng(1234);
  for (const Shape& s : {Shape{3, 5}, Shape{2, 4, 7}, Shape{2, 3, 5, 6}, Shape{1, 2, 3, 4, 5}}) {
    const int64_t c = s[1];
    const std::vector<Tensor> inputs = {testing::random_f32(s, rng), testing::random_f32({c}, rng),
                                        testing::random_f32({c}, rng), testing::random_f32({c}, rng),
                                        testing::random_f32({c}, rng, 0.1, 2.0)};
    check("BatchNorm " + s.to_string(), OpSpec{"BatchNormalization", 15, {attr_float("epsilon", 1e-3f)}},
          inputs);
  }
}

}  // namespace
}  // namespace fastserve
