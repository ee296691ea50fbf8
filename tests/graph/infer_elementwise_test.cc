// Shape/dtype inference of the elementwise family (src/graph/infer_elementwise.cc),
// through the op schemas so ops.def's wiring is covered too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;

struct Inferred {
  Status status;
  std::vector<TensorInfo> outputs;
};

Inferred infer(const std::string& op, int64_t opset, std::vector<Attribute> attrs,
               std::vector<TensorInfo> inputs, int num_outputs = 1) {
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
TensorInfo unknown_rank(DType dt) { return {true, dt, false, Shape(), nullptr}; }
TensorInfo constant(const Tensor& t) { return TensorInfo::of(t); }

void expect_shape(const Inferred& r, DType dt, Shape s, size_t i = 0) {
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[i].dtype, dt);
  EXPECT_TRUE(r.outputs[i].shape_known);
  EXPECT_EQ(r.outputs[i].shape, s) << r.outputs[i].shape.to_string();
}

void expect_error(const Inferred& r, StatusCode code) {
  EXPECT_EQ(r.status.code(), code) << r.status.to_string();
  // Errors name the node.
  EXPECT_NE(r.status.message().find("n1"), std::string::npos) << r.status.message();
}

TEST(InferElementwise, BroadcastsNumpyStyle) {
  expect_shape(infer("Add", 14, {}, {f32({2, 3, 4}), f32({4})}), DType::kF32, Shape{2, 3, 4});
  expect_shape(infer("Mul", 14, {}, {f32({2, 1, 4}), f32({3, 1})}), DType::kF32, Shape{2, 3, 4});
  expect_shape(infer("Sub", 14, {}, {f32({}), f32({5})}), DType::kF32, Shape{5});
  expect_shape(infer("Div", 14, {}, {f32({}), f32({})}), DType::kF32, Shape{});
  expect_shape(infer("Add", 14, {}, {f32({0, 3}), f32({1, 3})}), DType::kF32, Shape{0, 3});
  expect_shape(infer("Add", 14, {}, {known(DType::kI64, {3}), known(DType::kI64, {2, 1})}), DType::kI64,
               Shape{2, 3});
}

TEST(InferElementwise, BroadcastRejectsIncompatibleDims) {
  expect_error(infer("Add", 14, {}, {f32({2, 3}), f32({4})}), StatusCode::kInvalidArgument);
  expect_error(infer("Mul", 14, {}, {f32({2, 3, 4}), f32({3, 1, 4})}), StatusCode::kInvalidArgument);
}

TEST(InferElementwise, BinaryRejectsMixedDtypesExceptPow) {
  expect_error(infer("Add", 14, {}, {f32({3}), known(DType::kI64, {3})}), StatusCode::kInvalidArgument);
  // Pow's exponent has its own type; the result has the base's.
  expect_shape(infer("Pow", 15, {}, {f32({3}), known(DType::kI64, {3})}), DType::kF32, Shape{3});
  expect_shape(infer("Pow", 15, {}, {known(DType::kI32, {2, 3}), f32({})}), DType::kI32, Shape{2, 3});
}

TEST(InferElementwise, BinaryPropagatesUnknowns) {
  Inferred r = infer("Add", 14, {}, {unknown_rank(DType::kF32), f32({4})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kF32);
  EXPECT_FALSE(r.outputs[0].shape_known);
  // [?, 4] + [3, 1] -> [3, 4]: the unknown dim must be 1 or 3.
  expect_shape(infer("Add", 14, {}, {f32({kUnknownDim, 4}), f32({3, 1})}), DType::kF32, Shape{3, 4});
  expect_shape(infer("Add", 14, {}, {f32({kUnknownDim, 4}), f32({4})}), DType::kF32, Shape{kUnknownDim, 4});
}

TEST(InferElementwise, ActivationsKeepShapeAndDtype) {
  for (const char* op : {"Relu", "LeakyRelu", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Identity"}) {
    SCOPED_TRACE(op);
    expect_shape(infer(op, 14, {}, {f32({2, kUnknownDim, 5})}), DType::kF32, Shape{2, kUnknownDim, 5});
  }
  expect_shape(infer("Identity", 16, {}, {known(DType::kBool, {3})}), DType::kBool, Shape{3});
  Inferred r = infer("Relu", 14, {}, {unknown_rank(DType::kF32)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.outputs[0].shape_known);
}

TEST(InferElementwise, ClipChecksOptionalScalarBounds) {
  const TensorInfo absent;  // an omitted optional input ("")
  expect_shape(infer("Clip", 13, {}, {f32({2, 3}), absent, f32({})}), DType::kF32, Shape{2, 3});
  expect_shape(infer("Clip", 13, {}, {f32({2, 3}), f32({1}), f32({})}), DType::kF32, Shape{2, 3});
  expect_error(infer("Clip", 13, {}, {f32({2, 3}), f32({2})}), StatusCode::kInvalidArgument);
  expect_error(infer("Clip", 13, {}, {f32({2, 3}), known(DType::kI32, {})}), StatusCode::kInvalidArgument);
}

TEST(InferElementwise, SoftmaxAxisMustBeInRange) {
  expect_shape(infer("Softmax", 13, {attr_int("axis", -3)}, {f32({2, 3, 4})}), DType::kF32, Shape{2, 3, 4});
  expect_error(infer("Softmax", 13, {attr_int("axis", 3)}, {f32({2, 3, 4})}), StatusCode::kInvalidArgument);
  expect_error(infer("LogSoftmax", 13, {attr_int("axis", -4)}, {f32({2, 3, 4})}),
               StatusCode::kInvalidArgument);
  // Opset 11 defaults to axis 1, which a 1-D input does not have; opset 13 defaults to -1.
  expect_error(infer("Softmax", 11, {}, {f32({5})}), StatusCode::kInvalidArgument);
  expect_shape(infer("Softmax", 13, {}, {f32({5})}), DType::kF32, Shape{5});
}

TEST(InferElementwise, DropoutMaskIsBoolOfInputShape) {
  Inferred r = infer("Dropout", 13, {}, {f32({2, 5}), f32({})}, 2);
  expect_shape(r, DType::kF32, Shape{2, 5}, 0);
  expect_shape(r, DType::kBool, Shape{2, 5}, 1);
  Inferred u = infer("Dropout", 13, {}, {unknown_rank(DType::kF32)}, 2);
  ASSERT_TRUE(u.status.ok());
  EXPECT_EQ(u.outputs[1].dtype, DType::kBool);
  EXPECT_FALSE(u.outputs[1].shape_known);
}

TEST(InferElementwise, DropoutTrainingModeMustBeAScalar) {
  const Tensor on = Tensor::scalar<bool>(true);
  const Tensor off = Tensor::scalar<bool>(false);
  const TensorInfo absent;
  expect_shape(infer("Dropout", 13, {}, {f32({2}), absent, constant(on)}), DType::kF32, Shape{2});
  expect_shape(infer("Dropout", 13, {}, {f32({2}), absent, constant(off)}), DType::kF32, Shape{2});
  expect_error(
      infer("Dropout", 13, {}, {f32({2}), absent, constant(Tensor::from_vector<bool>({true, false}))}),
      StatusCode::kInvalidArgument);
  // A runtime training_mode is left to the kernel.
  expect_shape(infer("Dropout", 13, {}, {f32({2}), absent, known(DType::kBool, {})}), DType::kF32, Shape{2});
}

TEST(InferElementwise, CastTakesDtypeFromTo) {
  expect_shape(infer("Cast", 13, {attr_int("to", 10)}, {f32({2, 3})}), DType::kF16, Shape{2, 3});
  expect_shape(infer("Cast", 13, {attr_int("to", 9)}, {known(DType::kI64, {4})}), DType::kBool, Shape{4});
  expect_shape(infer("Cast", 19, {attr_int("to", 16)}, {f32({})}), DType::kBF16, Shape{});
  expect_shape(infer("Cast", 19, {attr_int("to", 17)}, {f32({3})}), DType::kF8E4M3FN, Shape{3});
  expect_shape(infer("Cast", 25, {attr_int("to", 22)}, {f32({2, 2})}), DType::kI4, Shape{2, 2});
  Inferred u = infer("Cast", 13, {attr_int("to", 7)}, {unknown_rank(DType::kF32)});
  ASSERT_TRUE(u.status.ok());
  EXPECT_EQ(u.outputs[0].dtype, DType::kI64);
  EXPECT_FALSE(u.outputs[0].shape_known);
}

TEST(InferElementwise, CastRejectsUnsupportedTargets) {
  expect_error(infer("Cast", 13, {attr_int("to", 8)}, {f32({2})}), StatusCode::kUnsupported);  // string
  expect_error(infer("Cast", 19, {attr_int("to", 27)}, {f32({2})}),
               StatusCode::kUnsupported);  // float6e2m3
  expect_error(infer("Cast", 13, {attr_int("to", 14)}, {f32({2})}), StatusCode::kUnsupported);  // complex64
  expect_error(infer("Cast", 13, {attr_int("to", 999)}, {f32({2})}), StatusCode::kUnsupported);
  expect_error(infer("Cast", 13, {}, {f32({2})}), StatusCode::kInvalidModel);  // no 'to'
}

TEST(InferElementwise, ReduceMeanAxesAttributeBeforeOpset18) {
  expect_shape(infer("ReduceMean", 13, {attr_ints("axes", {1})}, {f32({2, 3, 4})}), DType::kF32,
               Shape{2, 1, 4});
  expect_shape(
      infer("ReduceMean", 13, {attr_ints("axes", {-1, 0}), attr_int("keepdims", 0)}, {f32({2, 3, 4})}),
      DType::kF32, Shape{3});
  // No axes: everything.
  expect_shape(infer("ReduceMean", 13, {}, {f32({2, 3, 4})}), DType::kF32, Shape{1, 1, 1});
  expect_shape(infer("ReduceMean", 11, {attr_int("keepdims", 0)}, {f32({2, 3, 4})}), DType::kF32, Shape{});
  // An unknown reduced dim still becomes 1; a kept one stays unknown.
  expect_shape(infer("ReduceMean", 13, {attr_ints("axes", {0})}, {f32({kUnknownDim, kUnknownDim})}),
               DType::kF32, Shape{1, kUnknownDim});
}

TEST(InferElementwise, ReduceMeanAxesInputFromOpset18) {
  const Tensor axes = Tensor::from_vector<int64_t>({-2});
  const TensorInfo absent;
  expect_shape(infer("ReduceMean", 18, {}, {f32({2, 3, 4}), constant(axes)}), DType::kF32, Shape{2, 1, 4});
  expect_shape(infer("ReduceMean", 18, {attr_int("keepdims", 0)}, {f32({2, 3, 4}), constant(axes)}),
               DType::kF32, Shape{2, 4});
  // The attribute is ignored from 18 on (it no longer exists).
  expect_shape(infer("ReduceMean", 18, {attr_ints("axes", {0})}, {f32({2, 3, 4})}), DType::kF32,
               Shape{1, 1, 1});
  // noop_with_empty_axes: no axes means identity.
  expect_shape(infer("ReduceMean", 18, {attr_int("noop_with_empty_axes", 1)}, {f32({2, 3, 4}), absent}),
               DType::kF32, Shape{2, 3, 4});
  const Tensor empty_axes = Tensor::from_vector<int64_t>({});
  expect_shape(
      infer("ReduceMean", 18, {attr_int("noop_with_empty_axes", 1)}, {f32({2, 3}), constant(empty_axes)}),
      DType::kF32, Shape{2, 3});
}

TEST(InferElementwise, ReduceMeanWithRuntimeAxes) {
  const TensorInfo axes = known(DType::kI64, {2});
  // keepdims: rank known, dims other than 1 unknown.
  expect_shape(infer("ReduceMean", 18, {}, {f32({2, 1, 4}), axes}), DType::kF32,
               Shape{kUnknownDim, 1, kUnknownDim});
  // no keepdims: rank drops by the axes' length.
  expect_shape(infer("ReduceMean", 18, {attr_int("keepdims", 0)}, {f32({2, 1, 4}), axes}), DType::kF32,
               Shape{kUnknownDim});
  Inferred r =
      infer("ReduceMean", 18, {attr_int("keepdims", 0)}, {f32({2, 1, 4}), known(DType::kI64, {kUnknownDim})});
  ASSERT_TRUE(r.status.ok());
  EXPECT_FALSE(r.outputs[0].shape_known);
}

TEST(InferElementwise, ReduceMeanRejectsBadAxes) {
  expect_error(infer("ReduceMean", 13, {attr_ints("axes", {3})}, {f32({2, 3, 4})}),
               StatusCode::kInvalidArgument);
  expect_error(infer("ReduceMean", 13, {attr_ints("axes", {1, -2})}, {f32({2, 3, 4})}),
               StatusCode::kInvalidArgument);
}

TEST(InferElementwise, ReduceSumTakesAxesInputFrom13OthersFrom18) {
  const Tensor axes = Tensor::from_vector<int64_t>({0});
  // ReduceSum 13: input; at 12 the attribute.
  expect_shape(infer("ReduceSum", 13, {}, {f32({2, 3}), constant(axes)}), DType::kF32, Shape{1, 3});
  expect_shape(infer("ReduceSum", 12, {attr_ints("axes", {1})}, {f32({2, 3})}), DType::kF32, Shape{2, 1});
  // ReduceMax 13 still reads the attribute; 18 the input.
  expect_shape(infer("ReduceMax", 13, {attr_ints("axes", {1}), attr_int("keepdims", 0)}, {f32({2, 3})}),
               DType::kF32, Shape{2});
  expect_shape(infer("ReduceMax", 18, {attr_int("keepdims", 0)}, {f32({2, 3}), constant(axes)}), DType::kF32,
               Shape{3});
  for (const char* op : {"ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2", "ReduceSumSquare", "ReduceLogSum",
                         "ReduceLogSumExp"}) {
    expect_shape(infer(op, 18, {}, {known(DType::kF32, {4, 5}), constant(axes)}), DType::kF32, Shape{1, 5});
    expect_shape(infer(op, 11, {attr_ints("axes", {-1})}, {f32({4, 5})}), DType::kF32, Shape{4, 1});
  }
  expect_shape(infer("ReduceSum", 13, {}, {known(DType::kI64, {4, 5})}), DType::kI64, Shape{1, 1});
  expect_error(infer("ReduceSum", 13, {}, {f32({2, 3}), constant(Tensor::from_vector<int64_t>({2}))}),
               StatusCode::kInvalidArgument);
}

TEST(InferElementwise, ArgMaxMinGiveInt64WithoutTheAxis) {
  expect_shape(infer("ArgMax", 13, {}, {f32({2, 3, 4})}), DType::kI64, Shape{1, 3, 4});
  expect_shape(infer("ArgMin", 13, {attr_int("axis", -1), attr_int("keepdims", 0)}, {f32({2, 3, 4})}),
               DType::kI64, Shape{2, 3});
  expect_shape(infer("ArgMax", 13, {attr_int("axis", 1)}, {f32({kUnknownDim, 3})}), DType::kI64,
               Shape{kUnknownDim, 1});
  Inferred r = infer("ArgMax", 13, {}, {unknown_rank(DType::kF32)});
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.outputs[0].dtype, DType::kI64);
  EXPECT_FALSE(r.outputs[0].shape_known);
  expect_error(infer("ArgMin", 13, {attr_int("axis", 2)}, {f32({2, 3})}), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fastserve
