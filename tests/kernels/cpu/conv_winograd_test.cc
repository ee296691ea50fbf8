// Winograd F(4x4, 3x3) conv (kernels/cpu/conv/conv_winograd*.cc) against the
// reference: forced on every runnable ISA variant over tails (H, W not
// multiples of the 4x4 tile), padding variants, batch 2, channel counts
// 1..70, 1 and 2 threads (both the tile split and the output-channel split),
// blocks of several B panels; and chosen by the registry where the heuristic
// says so. Accuracy: max error <= 1e-4 of the output range.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "kernels/cpu/conv/conv_winograd.h"
#include "tests/kernels/cpu/conv_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

struct WinoCase {
  int64_t n, c, m, h, w;
  std::vector<Attribute> attrs;
};

std::string describe(const WinoCase& k) {
  return "N=" + std::to_string(k.n) + " C=" + std::to_string(k.c) + " M=" + std::to_string(k.m) + " HxW=" +
         std::to_string(k.h) + "x" + std::to_string(k.w);
}

// Runs every runnable Winograd variant on the case with 1 and 2 threads.
void check_forced(const WinoCase& k, std::mt19937& rng, bool bias = true) {
  SCOPED_TRACE(describe(k));
  std::vector<Tensor> inputs = {testing::random_f32({k.n, k.c, k.h, k.w}, rng),
                                testing::random_f32({k.m, k.c, 3, 3}, rng)};
  if (bias) inputs.push_back(testing::random_f32({k.m}, rng));
  const OpSpec spec{"Conv", 17, k.attrs};
  const Tensor want = conv_test::reference_output(spec, inputs);
  ASSERT_TRUE(want.defined());
  for (const KernelDesc* d : conv_test::host_kernels("Conv", "winograd")) {
    for (int threads : {1, 2}) conv_test::expect_matches_reference(*d, spec, inputs, threads, want);
  }
}

TEST(ConvWinograd, TransformMatricesReproduceDirectConvolution) {
  // 1-D check of the matrices themselves: A^T [(G g) . (B^T d)] = the 4
  // outputs of correlating d (6 values) with g (3 taps).
  const double g[3] = {0.3, -1.2, 0.7};
  const double d[6] = {1.5, -0.25, 2.0, 0.5, -1.0, 0.75};
  double gg[6], bd[6];
  for (int i = 0; i < 6; ++i) {
    gg[i] = kWinogradG[i][0] * g[0] + kWinogradG[i][1] * g[1] + kWinogradG[i][2] * g[2];
    bd[i] = 0;
    for (int j = 0; j < 6; ++j) bd[i] += kWinogradBT[i][j] * d[j];
  }
  for (int o = 0; o < 4; ++o) {
    double y = 0;
    for (int i = 0; i < 6; ++i) y += kWinogradAT[o][i] * gg[i] * bd[i];
    const double direct = d[o] * g[0] + d[o + 1] * g[1] + d[o + 2] * g[2];
    EXPECT_NEAR(y, direct, 1e-12) << "output " << o;
  }
}

TEST(ConvWinograd, ForcedMatchesReferenceOnTailSizes) {
  std::mt19937 rng(2024);
  const std::vector<int64_t> sizes = {1, 2, 3, 5, 7, 9, 13, 17};
  std::uniform_int_distribution<int64_t> channels(1, 70);
  for (int64_t h : sizes) {
    for (int64_t w : sizes) {
      // pad 1 keeps every size valid; channel counts vary case to case.
      check_forced({(h + w) % 2 == 0 ? 2 : 1, channels(rng), channels(rng), h, w, {attr_ints("pads", {1, 1, 1, 1})}},
                   rng);
    }
  }
}

TEST(ConvWinograd, ForcedMatchesReferenceWithPaddingVariants) {
  std::mt19937 rng(77);
  check_forced({1, 5, 7, 9, 13, {}}, rng);                                  // no pad: 7x11 output
  check_forced({2, 16, 17, 13, 9, {attr_ints("pads", {2, 0, 1, 3})}}, rng);  // asymmetric
  check_forced({1, 3, 4, 3, 3, {attr_ints("pads", {0, 0, 0, 0})}}, rng);    // one output pixel
  check_forced({1, 8, 6, 6, 11, {attr_ints("pads", {3, 2, 3, 2})}}, rng);   // pad wider than the kernel
  for (const char* mode : {"SAME_UPPER", "SAME_LOWER", "VALID"}) {
    check_forced({1, 20, 18, 10, 7, {attr_string("auto_pad", mode)}}, rng);
  }
  check_forced({1, 1, 1, 5, 5, {attr_ints("pads", {1, 1, 1, 1})}}, rng, /*bias=*/false);  // C = M = 1
}

TEST(ConvWinograd, ForcedMatchesReferenceOnBlocksAndThreadSplits) {
  std::mt19937 rng(5);
  // 14x14: 16 tiles, fewer than two panels per thread: the channel split.
  check_forced({1, 64, 70, 14, 14, {attr_ints("pads", {1, 1, 1, 1})}}, rng);
  // 40x40: 100 tiles: the tile split with blocks of several B panels, and a
  // row that crosses a panel boundary.
  check_forced({1, 48, 40, 40, 40, {attr_ints("pads", {1, 1, 1, 1})}}, rng);
  // A row of more than 64 tiles (one transform run is at most 64).
  check_forced({1, 16, 16, 6, 270, {attr_ints("pads", {1, 1, 1, 1})}}, rng);
  // Batch 2: tile blocks span the two images.
  check_forced({2, 24, 32, 23, 21, {attr_ints("pads", {1, 1, 1, 1})}}, rng);
}

TEST(ConvWinograd, RegistryChoosesItForResNetShapesAndItMatches) {
  std::mt19937 rng(9);
  const std::vector<Tensor> inputs = {testing::random_f32({1, 32, 20, 20}, rng),
                                      testing::random_f32({32, 32, 3, 3}, rng), testing::random_f32({32}, rng)};
  const OpSpec spec{"Conv", 17, {attr_ints("pads", {1, 1, 1, 1})}};
  bool chosen = false;
  for (const KernelDesc* d : testing::runnable_kernels(spec, inputs)) {
    if (std::string(d->name).find("winograd") != std::string::npos) chosen = true;
  }
  EXPECT_TRUE(chosen) << "no Winograd descriptor accepts a 32->32 3x3 conv on 20x20";
  EXPECT_GE(testing::expect_kernels_match_reference(spec, inputs, 2e-4, 1e-3), 2);
}

TEST(ConvWinograd, PrepareRejectsAStridedNode) {
  std::mt19937 rng(1);
  const KernelDesc* d = conv_test::find_kernel("conv_f32_winograd__portable");
  ASSERT_NE(d, nullptr);
  const std::vector<Tensor> inputs = {testing::random_f32({1, 16, 8, 8}, rng), testing::random_f32({16, 16, 3, 3}, rng)};
  const OpSpec spec{"Conv", 17, {attr_ints("strides", {2, 2})}};
  auto r = conv_test::run_conv_kernel(*d, spec, inputs, 1);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("stride 1"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fastserve
