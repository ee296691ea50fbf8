// Shape inference for Resize (graph/infer_resize.cc): output dims from
// constant scales (floor(in * scale)) or sizes (with axes and
// keep_aspect_ratio_policy), unknown dims and values, and the errors.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_ints;
using testing::attr_string;

TensorInfo f32(Shape s) { return TensorInfo::with_shape(DType::kF32, std::move(s)); }
TensorInfo absent() { return TensorInfo{}; }

struct Consts {
  std::deque<Tensor> keep;  // owns the constant values the infos point at (deque: stable addresses)
  TensorInfo floats(std::vector<float> v) {
    keep.push_back(Tensor::from_vector<float>(v));
    return TensorInfo::of(keep.back());
  }
  TensorInfo ints(std::vector<int64_t> v) {
    keep.push_back(Tensor::from_vector<int64_t>(v));
    return TensorInfo::of(keep.back());
  }
};

Result<TensorInfo> infer(int64_t opset, const std::vector<Attribute>& attrs, const std::vector<TensorInfo>& inputs) {
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("r0", "Resize", "", opset, &attrs, inputs, outs);
  const OpSchema* schema = find_op_schema("Resize", "");
  if (schema == nullptr) return internal_error("no Resize schema");
  FS_RETURN_IF_ERROR(schema->infer(view, outs));
  return outs[0];
}

Shape shape_of(const Result<TensorInfo>& r) {
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  if (!r.ok()) return Shape();
  EXPECT_TRUE(r->shape_known);
  return r->shape;
}

TEST(InferResize, ScalesFloorTheProduct) {
  Consts c;
  EXPECT_EQ(shape_of(infer(13, {}, {f32({1, 3, 5, 7}), absent(), c.floats({1, 1, 0.6f, 2.5f})})),
            (Shape{1, 3, 3, 17}));
  // Unknown batch stays unknown.
  EXPECT_EQ(shape_of(infer(13, {}, {f32({kUnknownDim, 3, 4, 4}), absent(), c.floats({1, 1, 2, 2})})),
            (Shape{kUnknownDim, 3, 8, 8}));
}

TEST(InferResize, SizesWithPlaceholdersAxesAndAspectPolicy) {
  Consts c;
  const TensorInfo empty = c.floats({});
  // Opset 11: empty roi and scales placeholders; sizes win even over unknown input dims.
  EXPECT_EQ(shape_of(infer(11, {}, {f32({1, 3, kUnknownDim, 4}), empty, empty, c.ints({1, 3, 9, 10})})),
            (Shape{1, 3, 9, 10}));
  // Opset 18 axes [3, 2]: sizes name W then H.
  EXPECT_EQ(shape_of(infer(18, {attr_ints("axes", {3, 2})}, {f32({2, 3, 4, 8}), absent(), absent(), c.ints({4, 6})})),
            (Shape{2, 3, 6, 4}));
  // not_larger on [4, 8] -> sizes [6, 4]: scale min(1.5, 0.5) = 0.5 -> [2, 4].
  EXPECT_EQ(shape_of(infer(18, {attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", "not_larger")},
                           {f32({2, 3, 4, 8}), absent(), absent(), c.ints({6, 4})})),
            (Shape{2, 3, 2, 4}));
  // not_smaller: scale 1.5 -> [6, 12].
  EXPECT_EQ(shape_of(infer(18, {attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", "not_smaller")},
                           {f32({2, 3, 4, 8}), absent(), absent(), c.ints({6, 4})})),
            (Shape{2, 3, 6, 12}));
}

TEST(InferResize, UnknownScalesKeepRankAndUntouchedAxes) {
  const TensorInfo scales = f32({2});
  EXPECT_EQ(shape_of(infer(18, {attr_ints("axes", {2, 3})}, {f32({2, 3, 4, 8}), absent(), scales})),
            (Shape{2, 3, kUnknownDim, kUnknownDim}));
  EXPECT_EQ(shape_of(infer(13, {}, {f32({2, 3, 4, 8}), absent(), f32({4})})),
            (Shape{kUnknownDim, kUnknownDim, kUnknownDim, kUnknownDim}));
  auto r = infer(13, {}, {TensorInfo{true, DType::kF32, false, Shape(), nullptr}, absent(), f32({4})});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->shape_known);
}

TEST(InferResize, Errors) {
  Consts c;
  auto none = infer(13, {}, {f32({1, 1, 2, 2})});
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("scales"), std::string::npos);
  auto count = infer(13, {}, {f32({1, 1, 2, 2}), absent(), c.floats({2, 2})});
  ASSERT_FALSE(count.ok());
  EXPECT_NE(count.status().message().find("expected 4"), std::string::npos);
  auto bad_mode = infer(13, {attr_string("coordinate_transformation_mode", "half_pixel_symmetric")},
                        {f32({1, 1, 2, 2}), absent(), c.floats({1, 1, 2, 2})});
  ASSERT_FALSE(bad_mode.ok());
  EXPECT_NE(bad_mode.status().message().find("coordinate_transformation_mode"), std::string::npos);
  EXPECT_TRUE(infer(19, {attr_string("coordinate_transformation_mode", "half_pixel_symmetric")},
                    {f32({1, 1, 2, 2}), absent(), c.floats({1, 1, 2, 2})})
                  .ok());
  EXPECT_FALSE(infer(13, {}, {f32({1, 1, 2, 2}), absent(), c.floats({1, 1, -2, 2})}).ok());
}

}  // namespace
}  // namespace fastserve
