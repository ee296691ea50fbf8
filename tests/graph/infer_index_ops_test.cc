// Shape/dtype inference of the indexing ops (src/graph/infer_index_ops.cc)
// through the op schemas: TopK's constant K and OneHot's constant depth make
// dims known, GatherND's batch_dims, DepthToSpace/SpaceToDepth divisibility,
// EyeLike's dtype.
#include <gtest/gtest.h>

#include <deque>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_string;

struct Inferred {
  Status status;
  std::vector<TensorInfo> outputs;
};

Inferred infer(const std::string& op, int64_t opset, std::vector<Attribute> attrs, std::vector<TensorInfo> inputs,
               int num_outputs = 1) {
  const OpSchema* schema = find_op_schema(op, "");
  EXPECT_NE(schema, nullptr) << op;
  Inferred r;
  r.outputs.resize(static_cast<size_t>(num_outputs));
  for (TensorInfo& o : r.outputs) o.present = true;
  if (schema == nullptr) return r;
  const NodeView view("n1", op, "", opset, &attrs, inputs, r.outputs);
  r.status = schema->infer(view, r.outputs);
  return r;
}

TensorInfo known(DType dt, Shape s) { return TensorInfo::with_shape(dt, std::move(s)); }
TensorInfo f32(Shape s) { return known(DType::kF32, std::move(s)); }

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

TEST(InferIndexOps, TopKDimFromConstantK) {
  Inferred r = infer("TopK", 11, {attr_int("axis", 1)}, {f32({2, 5, 3}), ints({2})}, 2);
  expect_shape(r, DType::kF32, Shape{2, 2, 3});
  EXPECT_EQ(r.outputs[1].dtype, DType::kI64);
  EXPECT_EQ(r.outputs[1].shape, (Shape{2, 2, 3}));
  expect_shape(infer("TopK", 11, {}, {f32({2, 5}), known(DType::kI64, {1})}, 2), DType::kF32, Shape{2, kUnknownDim});
  expect_error(infer("TopK", 11, {}, {f32({2, 5}), ints({6})}, 2));
}

TEST(InferIndexOps, GatherElementsAndScatterShapes) {
  expect_shape(infer("GatherElements", 13, {attr_int("axis", 1)}, {f32({3, 4}), known(DType::kI64, {3, 7})}),
               DType::kF32, Shape{3, 7});
  expect_error(infer("GatherElements", 13, {}, {f32({3, 4}), known(DType::kI64, {3})}));
  expect_shape(infer("ScatterElements", 13, {}, {f32({3, 4}), known(DType::kI64, {2, 2}), f32({2, 2})}), DType::kF32,
               Shape{3, 4});
  expect_error(infer("ScatterElements", 13, {}, {f32({3, 4}), known(DType::kI64, {2, 2}), f32({2, 3})}));
  expect_shape(infer("ScatterND", 13, {}, {f32({3, 4}), known(DType::kI64, {2, 1}), f32({2, 4})}), DType::kF32,
               Shape{3, 4});
}

TEST(InferIndexOps, GatherNDWithBatchDims) {
  expect_shape(infer("GatherND", 13, {}, {f32({2, 2}), known(DType::kI64, {2, 2})}), DType::kF32, Shape{2});
  expect_shape(infer("GatherND", 13, {}, {f32({2, 2, 2}), known(DType::kI64, {2, 1, 2})}), DType::kF32,
               Shape{2, 1, 2});
  expect_shape(infer("GatherND", 13, {attr_int("batch_dims", 1)}, {f32({2, 3, 4, 5}), known(DType::kI64, {2, 6, 2})}),
               DType::kF32, Shape{2, 6, 5});
  expect_error(infer("GatherND", 13, {}, {f32({2, 2}), known(DType::kI64, {2, 3})}));
}

TEST(InferIndexOps, OneHotDepthFromConstant) {
  expect_shape(infer("OneHot", 11, {}, {known(DType::kI64, {2, 3}), ints({5}), known(DType::kF32, {2})}),
               DType::kF32, Shape{2, 3, 5});
  expect_shape(infer("OneHot", 11, {attr_int("axis", 0)},
                     {known(DType::kI64, {2, 3}), known(DType::kI64, {}), known(DType::kI32, {2})}),
               DType::kI32, Shape{kUnknownDim, 2, 3});
}

TEST(InferIndexOps, DepthSpaceAndEyeLike) {
  expect_shape(infer("DepthToSpace", 13, {attr_int("blocksize", 2), attr_string("mode", "CRD")}, {f32({1, 8, 2, 3})}),
               DType::kF32, Shape{1, 2, 4, 6});
  expect_error(infer("DepthToSpace", 13, {attr_int("blocksize", 2)}, {f32({1, 6, 2, 3})}));
  expect_shape(infer("SpaceToDepth", 13, {attr_int("blocksize", 2)}, {f32({1, 2, 4, kUnknownDim})}), DType::kF32,
               Shape{1, 8, 2, kUnknownDim});
  expect_error(infer("SpaceToDepth", 13, {attr_int("blocksize", 2)}, {f32({1, 2, 3, 4})}));
  expect_shape(infer("EyeLike", 11, {attr_int("dtype", 7)}, {f32({3, 4})}), DType::kI64, Shape{3, 4});
  expect_error(infer("EyeLike", 11, {}, {f32({3})}));
  expect_shape(infer("Trilu", 14, {}, {f32({2, 3, 3})}), DType::kF32, Shape{2, 3, 3});
  expect_shape(infer("CumSum", 14, {}, {f32({2, 3}), ints({1})}), DType::kF32, Shape{2, 3});
}

}  // namespace
}  // namespace fastserve
