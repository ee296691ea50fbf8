// Shape inference for the normalization ops (graph/infer_norm.cc): Y keeps
// X's shape, LayerNormalization's Mean / InvStdDev keep the normalized dims
// as 1, unknowns propagate, and definite mismatches (axis, scale lengths,
// groups) are errors that name the attribute or input.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;

TensorInfo f32(Shape s) { return TensorInfo::with_shape(DType::kF32, std::move(s)); }
TensorInfo unknown_rank() { return TensorInfo{true, DType::kF32, false, Shape(), nullptr}; }

Result<std::vector<TensorInfo>> infer(const std::string& op, int64_t opset, const std::vector<Attribute>& attrs,
                                      const std::vector<TensorInfo>& inputs, size_t num_outputs = 1) {
  std::vector<TensorInfo> outs(num_outputs);
  for (TensorInfo& o : outs) o.present = true;
  const NodeView view("n0", op, "", opset, &attrs, inputs, outs);
  const OpSchema* schema = find_op_schema(op, "");
  if (schema == nullptr) return internal_error("no schema for " + op);
  FS_RETURN_IF_ERROR(schema->infer(view, outs));
  return outs;
}

TEST(InferLayerNorm, StatisticsKeepNormalizedDimsAsOne) {
  auto r = infer("LayerNormalization", 17, {attr_int("axis", -2)},
                 {f32({2, kUnknownDim, 4, 5}), f32({4, 5}), f32({5})}, 3);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)[0].shape, (Shape{2, kUnknownDim, 4, 5}));
  EXPECT_EQ((*r)[1].shape, (Shape{2, kUnknownDim, 1, 1}));
  EXPECT_EQ((*r)[2].shape, (Shape{2, kUnknownDim, 1, 1}));
  EXPECT_EQ((*r)[1].dtype, DType::kF32);
}

TEST(InferLayerNorm, UnknownRankAndErrors) {
  auto r = infer("LayerNormalization", 17, {}, {unknown_rank(), f32({5})}, 2);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].shape_known);
  EXPECT_FALSE((*r)[1].shape_known);
  auto bad_axis = infer("LayerNormalization", 17, {attr_int("axis", 3)}, {f32({2, 5}), f32({5})});
  ASSERT_FALSE(bad_axis.ok());
  EXPECT_NE(bad_axis.status().message().find("axis"), std::string::npos);
  auto bad_scale = infer("LayerNormalization", 17, {}, {f32({2, 5}), f32({4})});
  ASSERT_FALSE(bad_scale.ok());
  EXPECT_NE(bad_scale.status().message().find("Scale"), std::string::npos);
}

TEST(InferRmsNorm, SameAsInputAndChecksScale) {
  auto r = infer("RMSNormalization", 23, {}, {f32({3, 8}), f32({8})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape, (Shape{3, 8}));
  EXPECT_FALSE(infer("RMSNormalization", 23, {}, {f32({3, 8}), f32({7})}).ok());
}

TEST(InferInstanceNorm, ChecksPerChannelVectors) {
  auto r = infer("InstanceNormalization", 6, {}, {f32({1, 3, 4, 4}), f32({3}), f32({3})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape, (Shape{1, 3, 4, 4}));
  auto bad = infer("InstanceNormalization", 6, {}, {f32({1, 3, 4, 4}), f32({3}), f32({4})});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("B"), std::string::npos);
  EXPECT_FALSE(infer("InstanceNormalization", 6, {}, {f32({1, 3}), f32({3}), f32({3})}).ok());
}

TEST(InferGroupNorm, ScaleLengthFollowsOpsetAndGroupsDivideChannels) {
  const std::vector<Attribute> g2 = {attr_int("num_groups", 2)};
  EXPECT_TRUE(infer("GroupNormalization", 18, g2, {f32({1, 4, 3}), f32({2}), f32({2})}).ok());
  EXPECT_FALSE(infer("GroupNormalization", 18, g2, {f32({1, 4, 3}), f32({4}), f32({4})}).ok());
  EXPECT_TRUE(infer("GroupNormalization", 21, g2, {f32({1, 4, 3}), f32({4}), f32({4})}).ok());
  EXPECT_FALSE(infer("GroupNormalization", 21, g2, {f32({1, 4, 3}), f32({2}), f32({2})}).ok());
  auto indivisible = infer("GroupNormalization", 21, {attr_int("num_groups", 3)}, {f32({1, 4, 3}), f32({4}), f32({4})});
  ASSERT_FALSE(indivisible.ok());
  EXPECT_NE(indivisible.status().message().find("num_groups"), std::string::npos);
  EXPECT_FALSE(infer("GroupNormalization", 21, {}, {f32({1, 4, 3}), f32({4}), f32({4})}).ok());  // num_groups missing
  // Unknown channels: nothing to check.
  EXPECT_TRUE(infer("GroupNormalization", 21, g2, {f32({1, kUnknownDim, 3}), f32({6}), f32({6})}).ok());
}

TEST(InferLpAndMeanVarianceNorm, AxisAndPChecks) {
  EXPECT_TRUE(infer("LpNormalization", 1, {attr_int("axis", -2)}, {f32({2, 3})}).ok());
  EXPECT_FALSE(infer("LpNormalization", 1, {attr_int("axis", 2)}, {f32({2, 3})}).ok());
  EXPECT_FALSE(infer("LpNormalization", 1, {attr_int("p", 0)}, {f32({2, 3})}).ok());
  auto r = infer("MeanVarianceNormalization", 13, {}, {f32({2, 3, 4, 5})});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[0].shape, (Shape{2, 3, 4, 5}));
  // The default axes [0, 2, 3] need rank 4.
  EXPECT_FALSE(infer("MeanVarianceNormalization", 13, {}, {f32({2, 3})}).ok());
  EXPECT_TRUE(infer("MeanVarianceNormalization", 13, {attr_ints("axes", {1})}, {f32({2, 3})}).ok());
}

}  // namespace
}  // namespace fastserve
