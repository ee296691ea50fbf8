// The conformance runner's own pieces: output comparison with the suite's
// tolerances and the expected-results file.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <limits>

#include "tests/conformance/compare_outputs.h"
#include "tests/conformance/expected_results.h"

namespace fastserve::conformance {
namespace {

TEST(ConformanceCompare, FloatsWithinAtolPlusRtolOfExpectedMatch) {
  const Tensor e = Tensor::from_vector<float>({1.f, -2.f, 0.f, 1000.f});
  EXPECT_EQ(compare_outputs(e, Tensor::from_vector<float>({1.0009f, -2.0019f, 5e-8f, 1000.9f}), Tolerance{}), "");
  const std::string diff = compare_outputs(e, Tensor::from_vector<float>({1.f, -2.f, 0.f, 1001.5f}), Tolerance{});
  EXPECT_NE(diff.find("1 of 4 values differ"), std::string::npos) << diff;
  EXPECT_NE(diff.find("at [3]"), std::string::npos) << diff;
  // Zero expected: only atol applies.
  EXPECT_NE(compare_outputs(Tensor::from_vector<float>({0.f}), Tensor::from_vector<float>({1e-6f}), Tolerance{}), "");
}

TEST(ConformanceCompare, NanMatchesNanAndInfinitiesMatchOnlyThemselves) {
  const float nan = std::numeric_limits<float>::quiet_NaN(), inf = std::numeric_limits<float>::infinity();
  const Tensor e = Tensor::from_vector<float>({nan, inf, -inf});
  EXPECT_EQ(compare_outputs(e, Tensor::from_vector<float>({nan, inf, -inf}), Tolerance{}), "");
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<float>({0.f, inf, -inf}), Tolerance{}), "");
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<float>({nan, 3e38f, -inf}), Tolerance{}), "");
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<float>({nan, inf, inf}), Tolerance{}), "");
}

TEST(ConformanceCompare, DtypeShapeAndIntegerValuesMustBeExact) {
  const Tensor e = Tensor::from_vector<int64_t>({1, 2, 3, 4}, Shape{2, 2});
  EXPECT_EQ(compare_outputs(e, Tensor::from_vector<int64_t>({1, 2, 3, 4}, Shape{2, 2}), Tolerance{}), "");
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<int64_t>({1, 2, 3, 4}, Shape{4}), Tolerance{}).find("shape"),
            std::string::npos);
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<int32_t>({1, 2, 3, 4}, Shape{2, 2}), Tolerance{}).find("dtype"),
            std::string::npos);
  EXPECT_NE(compare_outputs(e, Tensor::from_vector<int64_t>({1, 2, 3, 5}, Shape{2, 2}), Tolerance{}), "");
  EXPECT_EQ(compare_outputs(Tensor::from_vector<bool>({true, false}), Tensor::from_vector<bool>({true, false}),
                            Tolerance{}),
            "");
  EXPECT_NE(compare_outputs(Tensor::from_vector<bool>({true, false}), Tensor::from_vector<bool>({true, true}),
                            Tolerance{}),
            "");
}

TEST(ConformanceExpected, WritesAndReadsBackAndRejectsBadLines) {
  const std::string path = (std::filesystem::temp_directory_path() / "fs_conformance_expected.txt").string();
  const OutcomeMap outcomes{{"test_a", "pass"}, {"test_b", "fail"}, {"test_c", "unsupported"}};
  ASSERT_TRUE(write_expected_results(path, outcomes, "# header\n").ok());
  Result<OutcomeMap> back = read_expected_results(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_EQ(*back, outcomes);
  ASSERT_TRUE(write_expected_results(path, {{"test_a", "maybe"}}, "").ok());
  Result<OutcomeMap> bad = read_expected_results(path);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find(":1: expected"), std::string::npos) << bad.status().message();
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace fastserve::conformance
