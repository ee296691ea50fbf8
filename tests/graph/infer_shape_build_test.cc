// Shape/dtype inference of ConstantOfShape, Expand, Range, Tile
// (src/graph/infer_shape_build.cc) through the op schemas: constant shape
// arguments make the output dims known; runtime ones leave what the
// argument's length tells (the rank).
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_tensor;

struct Inferred {
  Status status;
  std::vector<TensorInfo> outputs;
};

Inferred infer(const std::string& op, int64_t opset, std::vector<Attribute> attrs, std::vector<TensorInfo> inputs) {
  const OpSchema* schema = find_op_schema(op, "");
  EXPECT_NE(schema, nullptr) << op;
  Inferred r;
  r.outputs.resize(1);
  r.outputs[0].present = true;
  if (schema == nullptr) return r;
  const NodeView view("n1", op, "", opset, &attrs, inputs, r.outputs);
  r.status = schema->infer(view, r.outputs);
  return r;
}

TensorInfo known(DType dt, Shape s) { return TensorInfo::with_shape(dt, std::move(s)); }
TensorInfo f32(Shape s) { return known(DType::kF32, std::move(s)); }
TensorInfo unknown_rank(DType dt) { return {true, dt, false, Shape(), nullptr}; }

// Constant inputs must outlive the infer call: keep them here.
std::deque<Tensor>& held() {  // a deque: growing it moves no element
  static std::deque<Tensor> h;
  return h;
}
TensorInfo constant(Tensor t) {
  held().push_back(std::move(t));
  return TensorInfo::of(held().back());
}
TensorInfo ints(std::vector<int64_t> v) { return constant(Tensor::from_vector<int64_t>(v)); }

void expect_shape(const Inferred& r, DType dt, Shape s) {
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, dt);
  ASSERT_TRUE(r.outputs[0].shape_known);
  EXPECT_EQ(r.outputs[0].shape, s) << r.outputs[0].shape.to_string();
}

void expect_error(const Inferred& r) {
  EXPECT_FALSE(r.status.ok());
  EXPECT_NE(r.status.message().find("n1"), std::string::npos) << r.status.message();
}

TEST(InferShapeBuild, ConstantOfShapeDimsFromConstantInput) {
  expect_shape(infer("ConstantOfShape", 11, {}, {ints({2, 3})}), DType::kF32, Shape{2, 3});
  expect_shape(infer("ConstantOfShape", 11, {attr_tensor("value", Tensor::from_vector<int64_t>({1}))}, {ints({})}),
               DType::kI64, Shape{});
  // Runtime shape of known length: rank only.
  expect_shape(infer("ConstantOfShape", 11, {}, {known(DType::kI64, {3})}), DType::kF32,
               Shape{kUnknownDim, kUnknownDim, kUnknownDim});
  Inferred r = infer("ConstantOfShape", 11, {}, {known(DType::kI64, {kUnknownDim})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.outputs[0].shape_known);
  expect_error(infer("ConstantOfShape", 11, {}, {ints({2, -3})}));
  expect_error(infer("ConstantOfShape", 11, {attr_tensor("value", Tensor::from_vector<float>({1, 2}))}, {ints({2})}));
}

TEST(InferShapeBuild, ExpandBroadcastsBothWays) {
  expect_shape(infer("Expand", 13, {}, {f32({3, 1}), ints({2, 1, 6})}), DType::kF32, Shape{2, 3, 6});
  expect_shape(infer("Expand", 13, {}, {f32({3, 4}), ints({1, 1})}), DType::kF32, Shape{3, 4});
  expect_shape(infer("Expand", 13, {}, {f32({kUnknownDim, 1}), ints({1, 5})}), DType::kF32, Shape{kUnknownDim, 5});
  // Runtime shape: rank is max(rank(x), len(shape)).
  expect_shape(infer("Expand", 13, {}, {f32({2, 1}), known(DType::kI64, {3})}), DType::kF32,
               Shape{kUnknownDim, kUnknownDim, kUnknownDim});
  expect_shape(infer("Expand", 13, {}, {f32({2, 1, 1, 1}), known(DType::kI64, {2})}), DType::kF32,
               Shape{kUnknownDim, kUnknownDim, kUnknownDim, kUnknownDim});
  Inferred r = infer("Expand", 13, {}, {unknown_rank(DType::kF32), ints({2, 2})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.outputs[0].shape_known);
  expect_error(infer("Expand", 13, {}, {f32({3}), ints({4})}));
}

TEST(InferShapeBuild, RangeLengthFromConstantBounds) {
  auto i64 = [](int64_t v) { return constant(Tensor::scalar<int64_t>(v)); };
  auto fl = [](float v) { return constant(Tensor::scalar<float>(v)); };
  expect_shape(infer("Range", 11, {}, {i64(0), i64(10), i64(3)}), DType::kI64, Shape{4});
  expect_shape(infer("Range", 11, {}, {i64(10), i64(0), i64(-5)}), DType::kI64, Shape{2});
  expect_shape(infer("Range", 11, {}, {i64(4), i64(0), i64(1)}), DType::kI64, Shape{0});
  expect_shape(infer("Range", 11, {}, {fl(0), fl(1), fl(0.25f)}), DType::kF32, Shape{4});
  // A runtime bound: 1-D of unknown length.
  expect_shape(infer("Range", 11, {}, {i64(0), known(DType::kI64, {}), i64(1)}), DType::kI64, Shape{kUnknownDim});
  expect_error(infer("Range", 11, {}, {i64(0), i64(3), i64(0)}));
}

TEST(InferShapeBuild, TileMultipliesDims) {
  expect_shape(infer("Tile", 13, {}, {f32({2, 3}), ints({3, 1})}), DType::kF32, Shape{6, 3});
  expect_shape(infer("Tile", 13, {}, {f32({kUnknownDim, 3}), ints({2, 0})}), DType::kF32, Shape{kUnknownDim, 0});
  expect_shape(infer("Tile", 13, {}, {f32({2, 0}), known(DType::kI64, {2})}), DType::kF32, Shape{kUnknownDim, 0});
  expect_shape(infer("Tile", 13, {}, {unknown_rank(DType::kI8), ints({1, 2, 3})}), DType::kI8,
               Shape{kUnknownDim, kUnknownDim, kUnknownDim});
  expect_error(infer("Tile", 13, {}, {f32({2, 3}), ints({2})}));
  expect_error(infer("Tile", 13, {}, {f32({2}), ints({-2})}));
}

}  // namespace
}  // namespace fastserve
