// Optimized LayerNormalization (kernels/cpu/layer_norm/) against the
// reference for every ISA the host runs: row lengths around the 32-lane
// blocks, axis 1 of 3-D (rows of several dims), no bias, leading-1 scale
// shapes, the Mean/InvStdDev outputs, a large mean (the two-pass variance),
// and a broadcast scale the kernel leaves to the reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::OpSpec;

OpSpec layer_norm(int64_t axis, int outputs = 1) {
  return OpSpec{"LayerNormalization", 17, {attr_int("axis", axis), attr_float("epsilon", 1e-5f)}, outputs};
}

TEST(LayerNormCpu, RowsOfEveryTailLengthMatchReference) {
  std::mt19937 rng(11);
  for (int64_t n : {1, 5, 31, 32, 33, 64, 100, 768, 1000}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const std::vector<Tensor> in = {testing::random_f32({3, 7, n}, rng, -3, 3), testing::random_f32({n}, rng),
                                    testing::random_f32({n}, rng)};
    EXPECT_GT(testing::expect_kernels_match_reference(layer_norm(-1), in, 1e-5, 1e-4), 0);
    EXPECT_GT(testing::expect_kernels_match_reference(layer_norm(-1), {in[0], in[1]}, 1e-5, 1e-4), 0);  // no bias
  }
}

TEST(LayerNormCpu, AxisOverSeveralDimsStatsOutputsAndLargeMean) {
  std::mt19937 rng(12);
  Tensor x = testing::random_f32({2, 5, 6, 7}, rng, 999, 1001);  // mean ~1000, spread 1: cancellation test
  EXPECT_GT(testing::expect_kernels_match_reference(
                layer_norm(1, 3), {x, testing::random_f32({5, 6, 7}, rng), testing::random_f32({1, 5, 6, 7}, rng)},
                2e-4, 1e-3),
            0);
  EXPECT_GT(testing::expect_kernels_match_reference(
                layer_norm(2), {testing::random_f32({4, 3, 9, 11}, rng), testing::random_f32({1, 9, 11}, rng)}),
            0);
}

TEST(LayerNormCpu, BroadcastScaleIsLeftToTheReference) {
  std::mt19937 rng(13);
  const std::vector<Tensor> in = {testing::random_f32({2, 3, 8}, rng), testing::random_f32({1, 8}, rng),
                                  testing::random_f32({3, 8}, rng)};  // bias varies per row: not a row operand
  for (const KernelDesc* d : testing::runnable_kernels(layer_norm(-1), in)) {
    EXPECT_EQ(std::string(d->name).find("layer_norm_f32__a"), std::string::npos) << d->name;
  }
}

// fastserve.FusedLayerNorm (what passes/fuse_layer_norm.cc makes below opset
// 17) runs on the same kernels: each ISA's descriptor against its reference.
TEST(LayerNormCpu, FusedLayerNormDescriptorsMatchReference) {
  std::mt19937 rng(14);
  const OpSpec fused{"FusedLayerNorm", 13, {attr_int("axis", 1), attr_float("epsilon", 1e-3f)}, 1, "fastserve"};
  for (int64_t n : {1, 17, 64, 130}) {
    SCOPED_TRACE("n=" + std::to_string(n));
    const std::vector<Tensor> in = {testing::random_f32({5, n}, rng, -3, 3), testing::random_f32({n}, rng),
                                    testing::random_f32({n}, rng)};
    EXPECT_GT(testing::expect_kernels_match_reference(fused, in, 1e-5, 1e-4), 0);
    EXPECT_GT(testing::expect_kernels_match_reference(fused, {in[0], in[1]}, 1e-5, 1e-4), 0);
    std::vector<std::string> names;
    for (const KernelDesc* d : testing::runnable_kernels(fused, in)) names.emplace_back(d->name);
    EXPECT_NE(std::find(names.begin(), names.end(), "fused_layer_norm_f32__portable"), names.end());
  }
}

}  // namespace
}  // namespace fastserve
