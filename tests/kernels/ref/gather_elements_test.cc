// Reference GatherElements / ScatterElements and GatherND / ScatterND
// (kernels/ref/gather_elements.cc, gather_nd.cc) against index formulas
// written here, plus the ONNX spec examples (batch_dims, reductions,
// negative indices) and out-of-range indices.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(GatherElementsRef, MatchesFormulaOnRandomShapes) {
  std::mt19937 rng(51);
  const Tensor data = random_tensor(DType::kF32, {3, 4, 5}, rng);
  for (int64_t axis : {0, 1, 2, -1}) {
    const int64_t ax = axis < 0 ? axis + 3 : axis;
    const int64_t d = data.dim(static_cast<size_t>(ax));
    // indices smaller than data off the axis, longer along it.
    std::vector<int64_t> idims = {2, 3, 4};
    idims[static_cast<size_t>(ax)] = 6;
    const Tensor idx = random_tensor(DType::kI64, Shape(idims), rng, static_cast<double>(-d), static_cast<double>(d - 1));
    auto r = run_reference({.op_type = "GatherElements", .opset = 13, .attrs = {attr_int("axis", axis)}}, {data, idx});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ((*r)[0].shape(), Shape(idims));
    for (int64_t e = 0; e < idx.numel(); ++e) {
      std::vector<int64_t> c = {e / (idims[1] * idims[2]), (e / idims[2]) % idims[1], e % idims[2]};
      int64_t v = idx.data<int64_t>()[e];
      c[static_cast<size_t>(ax)] = v < 0 ? v + d : v;
      EXPECT_EQ((*r)[0].data<float>()[e], data.data<float>()[(c[0] * 4 + c[1]) * 5 + c[2]]) << e;
    }
  }
}

TEST(GatherElementsRef, OutOfRangeIndexIsAnError) {
  auto r = run_reference({.op_type = "GatherElements", .opset = 13}, {iota_f32({2, 2}), i64s({0, 2}, {1, 2})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
}

TEST(ScatterElementsRef, SpecExamplesAndReductions) {
  // Spec: data 3x3 zeros, indices [[1,0,2],[0,2,1]], updates [[1,1.1,1.2],[2,2.1,2.2]], axis 0.
  const Tensor data = Tensor::zeros(DType::kF32, Shape{3, 3});
  const Tensor idx = i64s({1, 0, 2, 0, 2, 1}, {2, 3});
  const Tensor upd = f32s({1, 1.1f, 1.2f, 2, 2.1f, 2.2f}, {2, 3});
  auto r = run_reference({.op_type = "ScatterElements", .opset = 11}, {data, idx, upd});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({2, 1.1f, 0, 1, 0, 2.2f, 0, 2.1f, 1.2f}, {3, 3})));
  // Spec: axis 1, negative index.
  auto n = run_reference({.op_type = "ScatterElements", .opset = 13, .attrs = {attr_int("axis", 1)}},
                         {f32s({1, 2, 3, 4, 5}, {1, 5}), i64s({1, -2}, {1, 2}), f32s({1.1f, 2.1f}, {1, 2})});
  ASSERT_TRUE(n.ok()) << n.status().to_string();
  EXPECT_TRUE(same_bytes((*n)[0], f32s({1, 1.1f, 3, 2.1f, 5}, {1, 5})));
  // Duplicate indices under each reduction.
  const Tensor d2 = f32s({1, 2, 3, 4, 5}, {1, 5});
  const Tensor i2 = i64s({1, 1}, {1, 2});
  const Tensor u2 = f32s({1.1f, 2.1f}, {1, 2});
  const std::vector<std::pair<std::string, float>> cases = {
      {"add", 2 + 1.1f + 2.1f}, {"mul", 2 * 1.1f * 2.1f}, {"max", 2.1f}, {"min", 1.1f}, {"none", 2.1f}};
  for (const auto& [red, want] : cases) {
    SCOPED_TRACE(red);
    auto s = run_reference({.op_type = "ScatterElements", .opset = 18,
                            .attrs = {attr_int("axis", 1), attr_string("reduction", red)}},
                           {d2, i2, u2});
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    EXPECT_FLOAT_EQ((*s)[0].data<float>()[1], want);
    EXPECT_EQ((*s)[0].data<float>()[0], 1.0f);
  }
  // max needs opset 18.
  EXPECT_FALSE(run_reference({.op_type = "ScatterElements", .opset = 16,
                              .attrs = {attr_int("axis", 1), attr_string("reduction", "max")}},
                             {d2, i2, u2})
                   .ok());
}

TEST(GatherNDRef, SpecExamples) {
  struct Case {
    Tensor data, idx, want;
    int64_t batch_dims;
  };
  const std::vector<Case> cases = {
      {i64s({0, 1, 2, 3}, {2, 2}), i64s({0, 0, 1, 1}, {2, 2}), i64s({0, 3}, {2}), 0},
      {i64s({0, 1, 2, 3}, {2, 2}), i64s({1, 0}, {2, 1}), i64s({2, 3, 0, 1}, {2, 2}), 0},
      {i64s({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2}), i64s({0, 1, 1, 0}, {2, 2}), i64s({2, 3, 4, 5}, {2, 2}), 0},
      {i64s({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2}), i64s({0, 1, 1, 0}, {2, 1, 2}), i64s({2, 3, 4, 5}, {2, 1, 2}), 0},
      {i64s({0, 1, 2, 3, 4, 5, 6, 7}, {2, 2, 2}), i64s({1, 0}, {2, 1}), i64s({2, 3, 4, 5}, {2, 2}), 1},
      {i64s({0, 1, 2, 3}, {2, 2}), i64s({-1, -2}, {1, 2}), i64s({2}, {1}), 0},  // negative indices
  };
  for (size_t c = 0; c < cases.size(); ++c) {
    SCOPED_TRACE(c);
    auto r = run_reference(
        {.op_type = "GatherND", .opset = 13, .attrs = {attr_int("batch_dims", cases[c].batch_dims)}},
        {cases[c].data, cases[c].idx});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes((*r)[0], cases[c].want));
  }
}

TEST(GatherNDRef, MatchesFormulaOnRandomBatchedShapes) {
  std::mt19937 rng(52);
  // data [2, 3, 4, 5], batch_dims 1, indices [2, 6, 2] -> out [2, 6, 5].
  const Tensor data = random_tensor(DType::kF32, {2, 3, 4, 5}, rng);
  Tensor idx = Tensor::empty(DType::kI64, Shape{2, 6, 2});
  std::uniform_int_distribution<int64_t> r3(0, 2), r4(-4, 3);
  for (int64_t e = 0; e < 24; e += 2) {
    idx.data<int64_t>()[e] = r3(rng);
    idx.data<int64_t>()[e + 1] = r4(rng);
  }
  auto r = run_reference({.op_type = "GatherND", .opset = 13, .attrs = {attr_int("batch_dims", 1)}}, {data, idx});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  ASSERT_EQ((*r)[0].shape(), (Shape{2, 6, 5}));
  for (int64_t b = 0; b < 2; ++b) {
    for (int64_t row = 0; row < 6; ++row) {
      const int64_t i = idx.data<int64_t>()[(b * 6 + row) * 2];
      int64_t j = idx.data<int64_t>()[(b * 6 + row) * 2 + 1];
      if (j < 0) j += 4;
      for (int64_t w = 0; w < 5; ++w) {
        EXPECT_EQ((*r)[0].data<float>()[(b * 6 + row) * 5 + w], data.data<float>()[((b * 3 + i) * 4 + j) * 5 + w]);
      }
    }
  }
}

TEST(ScatterNDRef, SpecExamplesAndReductions) {
  // Spec example 1: data [1..8], indices [[4],[3],[1],[7]], updates [9,10,11,12].
  auto r = run_reference({.op_type = "ScatterND", .opset = 11},
                         {i64s({1, 2, 3, 4, 5, 6, 7, 8}), i64s({4, 3, 1, 7}, {4, 1}), i64s({9, 10, 11, 12})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], i64s({1, 11, 3, 10, 9, 6, 7, 12})));
  // Slices: data [2, 3], indices [[1]] replaces row 1.
  auto s = run_reference({.op_type = "ScatterND", .opset = 11},
                         {iota_f32({2, 3}), i64s({1}, {1, 1}), f32s({7, 8, 9}, {1, 3})});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_TRUE(same_bytes((*s)[0], f32s({0, 1, 2, 7, 8, 9}, {2, 3})));
  // Duplicate indices with add / mul / max / min.
  const std::vector<std::pair<std::string, int64_t>> cases = {{"add", 5 + 2 + 3}, {"mul", 5 * 2 * 3}, {"max", 5}, {"min", 2}};
  for (const auto& [red, want] : cases) {
    SCOPED_TRACE(red);
    auto t = run_reference({.op_type = "ScatterND", .opset = 18, .attrs = {attr_string("reduction", red)}},
                           {i64s({1, 5}), i64s({1, 1}, {2, 1}), i64s({2, 3})});
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_EQ((*t)[0].data<int64_t>()[1], want);
    EXPECT_EQ((*t)[0].data<int64_t>()[0], 1);
  }
}

}  // namespace
}  // namespace fastserve::testing
