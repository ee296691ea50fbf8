// Softmax, top-k and argmax over classifier outputs (data/topk.h).
#include "data/topk.h"

#include <gtest/gtest.h>

#include <cmath>

namespace fastserve {
namespace {

TEST(TopK, SoftmaxMatchesHandComputedValues) {
  // exp(0) : exp(ln 2) = 1 : 2.
  std::vector<float> p = softmax(std::vector<float>{0.f, std::log(2.f)});
  EXPECT_NEAR(p[0], 1.0 / 3, 1e-7);
  EXPECT_NEAR(p[1], 2.0 / 3, 1e-7);
  // Huge logits do not overflow (max is subtracted first).
  p = softmax(std::vector<float>{1000.f, 1000.f, -1000.f});
  EXPECT_NEAR(p[0], 0.5, 1e-7);
  EXPECT_NEAR(p[1], 0.5, 1e-7);
  EXPECT_EQ(p[2], 0.f);
  // +inf takes all the mass.
  p = softmax(std::vector<float>{1.f, INFINITY});
  EXPECT_EQ(p, (std::vector<float>{0.f, 1.f}));
  EXPECT_TRUE(softmax(std::vector<float>{}).empty());
}

TEST(TopK, OrdersByProbabilityWithTiesToTheLowerIndex) {
  std::vector<float> logits = {1.f, 3.f, 2.f, 3.f, -1.f};
  std::vector<TopKEntry> t = top_k(logits, 3, OutputKind::kLogits);
  ASSERT_EQ(t.size(), 3u);
  EXPECT_EQ(t[0].index, 1);
  EXPECT_EQ(t[1].index, 3);
  EXPECT_EQ(t[2].index, 2);
  EXPECT_FLOAT_EQ(t[0].probability, t[1].probability);
  const double z = 2 * std::exp(3.0) + std::exp(2.0) + std::exp(1.0) + std::exp(-1.0);
  EXPECT_NEAR(t[0].probability, std::exp(3.0) / z, 1e-6);
  EXPECT_NEAR(t[2].probability, std::exp(2.0) / z, 1e-6);
}

TEST(TopK, KLargerThanTheClassCountReturnsAll) {
  EXPECT_EQ(top_k(std::vector<float>{0.2f, 0.8f}, 10, OutputKind::kProbabilities).size(), 2u);
  EXPECT_TRUE(top_k(std::vector<float>{0.2f, 0.8f}, 0, OutputKind::kProbabilities).empty());
}

TEST(TopK, ProbabilitiesPassThroughUnchanged) {
  std::vector<TopKEntry> t = top_k(std::vector<float>{0.1f, 0.7f, 0.2f}, 2, OutputKind::kProbabilities);
  EXPECT_EQ(t[0].index, 1);
  EXPECT_FLOAT_EQ(t[0].probability, 0.7f);
  EXPECT_FLOAT_EQ(t[1].probability, 0.2f);
}

TEST(TopK, UnknownKindGuessesFromTheValues) {
  EXPECT_TRUE(looks_like_probabilities(std::vector<float>{0.25f, 0.75f}));
  EXPECT_FALSE(looks_like_probabilities(std::vector<float>{0.25f, 0.5f}));   // sum 0.75
  EXPECT_FALSE(looks_like_probabilities(std::vector<float>{-0.5f, 1.5f}));  // sum 1, out of range
  EXPECT_FALSE(looks_like_probabilities(std::vector<float>{NAN, 1.f}));
  // Probabilities: kept; logits: softmaxed.
  EXPECT_FLOAT_EQ(top_k(std::vector<float>{0.25f, 0.75f}, 1, OutputKind::kUnknown)[0].probability, 0.75f);
  EXPECT_NEAR(top_k(std::vector<float>{0.f, std::log(3.f)}, 1, OutputKind::kUnknown)[0].probability, 0.75, 1e-6);
}

TEST(TopK, NanSortsLastAndNeverWinsArgmax) {
  std::vector<TopKEntry> t = top_k(std::vector<float>{NAN, 0.1f, 0.2f}, 3, OutputKind::kProbabilities);
  EXPECT_EQ(t[0].index, 2);
  EXPECT_EQ(t[1].index, 1);
  EXPECT_EQ(t[2].index, 0);
  EXPECT_EQ(argmax(std::vector<float>{NAN, -5.f, -7.f}), 1);
  EXPECT_EQ(argmax(std::vector<float>{2.f, 9.f, 9.f}), 1);  // first of the maxima
  EXPECT_EQ(argmax(std::vector<float>{}), -1);
}

TEST(TopK, OutputKindFromMetadata) {
  EXPECT_EQ(output_kind_from_metadata({}).value(), OutputKind::kUnknown);
  EXPECT_EQ(output_kind_from_metadata({{"fastserve.output.kind", "logits"}}).value(), OutputKind::kLogits);
  EXPECT_EQ(output_kind_from_metadata({{"fastserve.output.kind", "probabilities"}}).value(),
            OutputKind::kProbabilities);
  Result<OutputKind> bad = output_kind_from_metadata({{"fastserve.output.kind", "scores"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("scores"), std::string::npos);
}

}  // namespace
}  // namespace fastserve
