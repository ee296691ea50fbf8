// Depthwise conv (kernels/cpu/conv/conv_depthwise*.cc) against the reference,
// every runnable ISA variant, 1 and 2 threads: the 3x3 stride 1 / 2 plane
// microkernels over widths around the vector width (row tails, planes
// narrower than one vector, pads wider than the kernel), every padding
// combination, batch 2, many channels; and the general path (other kernel
// sizes, dilation, stride 3, 1-D).
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/cpu/conv_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::OpSpec;

void check_depthwise(int64_t n, int64_t c, int64_t h, int64_t w, int64_t kh, int64_t kw, std::vector<Attribute> attrs,
                     std::mt19937& rng) {
  SCOPED_TRACE("N=" + std::to_string(n) + " C=" + std::to_string(c) + " HxW=" + std::to_string(h) + "x" +
               std::to_string(w) + " k=" + std::to_string(kh) + "x" + std::to_string(kw));
  attrs.push_back(attr_int("group", c));
  const std::vector<Tensor> inputs = {testing::random_f32({n, c, h, w}, rng), testing::random_f32({c, 1, kh, kw}, rng),
                                      testing::random_f32({c}, rng)};
  const OpSpec spec{"Conv", 17, attrs};
  const Tensor want = conv_test::reference_output(spec, inputs);
  ASSERT_TRUE(want.defined());
  for (const KernelDesc* d : conv_test::host_kernels("Conv", "depthwise")) {
    for (int threads : {1, 2}) conv_test::expect_matches_reference(*d, spec, inputs, threads, want);
  }
}

TEST(ConvDepthwise, ThreeByThreeStride1And2MatchReferenceOnAllWidthsAndPads) {
  std::mt19937 rng(31);
  const std::vector<std::vector<int64_t>> pads = {{0, 0, 0, 0}, {1, 1, 1, 1}, {0, 1, 1, 0}, {2, 2, 2, 2}};
  for (int64_t stride : {1, 2}) {
    for (int64_t w : {1, 2, 3, 5, 7, 8, 9, 13, 16, 17, 18, 33, 40, 67, 70}) {
      for (const std::vector<int64_t>& p : pads) {
        const int64_t h = 3 + w % 5;
        if (w + p[1] + p[3] < 3) continue;  // no output column
        check_depthwise(1, 3, h, w, 3, 3, {attr_ints("pads", p), attr_ints("strides", {stride, stride})}, rng);
      }
    }
  }
}

TEST(ConvDepthwise, MobileNetLikeShapesBatchTwoManyChannels) {
  std::mt19937 rng(8);
  check_depthwise(2, 70, 14, 14, 3, 3, {attr_ints("pads", {1, 1, 1, 1})}, rng);
  check_depthwise(1, 32, 28, 28, 3, 3, {attr_ints("pads", {1, 1, 1, 1}), attr_ints("strides", {2, 2})}, rng);
  check_depthwise(1, 64, 7, 7, 3, 3, {attr_ints("pads", {1, 1, 1, 1})}, rng);
  check_depthwise(2, 5, 1, 1, 3, 3, {attr_ints("pads", {1, 1, 1, 1})}, rng);  // only border pixels
}

TEST(ConvDepthwise, GeneralPathMatchesReference) {
  std::mt19937 rng(12);
  check_depthwise(1, 6, 13, 11, 5, 5, {attr_ints("pads", {2, 2, 2, 2})}, rng);
  check_depthwise(2, 4, 9, 17, 3, 3, {attr_ints("dilations", {2, 2}), attr_ints("pads", {2, 1, 2, 1})}, rng);
  check_depthwise(1, 3, 10, 10, 3, 3, {attr_ints("strides", {3, 3})}, rng);
  check_depthwise(1, 3, 10, 12, 3, 3, {attr_ints("strides", {1, 2}), attr_ints("pads", {1, 1, 1, 1})}, rng);
  check_depthwise(1, 5, 8, 9, 2, 4, {attr_ints("pads", {0, 1, 1, 2})}, rng);
}

TEST(ConvDepthwise, OneDMatchesReference) {
  std::mt19937 rng(4);
  for (const KernelDesc* d : conv_test::host_kernels("Conv", "depthwise")) {
    const std::vector<Tensor> inputs = {testing::random_f32({2, 7, 19}, rng), testing::random_f32({7, 1, 3}, rng)};
    const OpSpec spec{"Conv", 17, {attr_int("group", 7), attr_ints("pads", {1, 2})}};
    const Tensor want = conv_test::reference_output(spec, inputs);
    for (int threads : {1, 2}) conv_test::expect_matches_reference(*d, spec, inputs, threads, want);
  }
}

}  // namespace
}  // namespace fastserve
