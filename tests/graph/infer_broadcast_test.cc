// Shape/dtype inference of comparisons, logic, Where, variadic ops, Mod,
// BitShift, PRelu (src/graph/infer_broadcast.cc) and of the unary math,
// classifier, CastLike and Size entries (src/graph/infer_elementwise.cc),
// through the op schemas so ops.def's wiring is covered too.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;

struct Inferred {
  Status status;
  std::vector<TensorInfo> outputs;
};

Inferred infer(const std::string& op, int64_t opset, std::vector<TensorInfo> inputs,
               std::vector<Attribute> attrs = {}) {
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
TensorInfo boolean(Shape s) { return known(DType::kBool, std::move(s)); }
TensorInfo unknown_rank(DType dt) { return {true, dt, false, Shape(), nullptr}; }
constexpr int64_t kU = kUnknownDim;

void expect_shape(const Inferred& r, DType dt, Shape s) {
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, dt);
  EXPECT_TRUE(r.outputs[0].shape_known);
  EXPECT_EQ(r.outputs[0].shape, s) << r.outputs[0].shape.to_string();
}

void expect_unknown_shape(const Inferred& r, DType dt) {
  ASSERT_TRUE(r.status.ok()) << r.status.to_string();
  EXPECT_EQ(r.outputs[0].dtype, dt);
  EXPECT_FALSE(r.outputs[0].shape_known);
}

void expect_error(const Inferred& r, StatusCode code, const std::string& says) {
  EXPECT_EQ(r.status.code(), code) << r.status.to_string();
  EXPECT_NE(r.status.message().find("n1"), std::string::npos) << r.status.message();  // names the node
  EXPECT_NE(r.status.message().find(says), std::string::npos) << r.status.message();
}

TEST(InferBroadcast, ComparisonsAndLogicGiveBoolWithBroadcastShape) {
  for (const std::string op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
    expect_shape(infer(op, 16, {f32({2, 1, 4}), f32({3, 1})}), DType::kBool, Shape{2, 3, 4});
    expect_shape(infer(op, 16, {known(DType::kI64, {}), known(DType::kI64, {5})}), DType::kBool, Shape{5});
  }
  for (const std::string op : {"And", "Or", "Xor"}) {
    expect_shape(infer(op, 7, {boolean({3, 1}), boolean({4})}), DType::kBool, Shape{3, 4});
  }
  expect_shape(infer("Not", 1, {boolean({2, 2})}), DType::kBool, Shape{2, 2});
  // Unknown dims broadcast against known ones.
  expect_shape(infer("Less", 13, {f32({kU, 4}), f32({3, 1})}), DType::kBool, Shape{3, 4});
  expect_unknown_shape(infer("Equal", 13, {unknown_rank(DType::kF32), f32({4})}), DType::kBool);
}

TEST(InferBroadcast, ComparisonsRejectMismatchesNamingTheNode) {
  expect_error(infer("Equal", 13, {f32({2, 3}), f32({4})}), StatusCode::kInvalidArgument, "broadcast");
  expect_error(infer("Less", 13, {f32({3}), known(DType::kI32, {3})}), StatusCode::kInvalidArgument,
               "dtypes differ");
  expect_error(infer("And", 7, {f32({3}), f32({3})}), StatusCode::kInvalidArgument, "bool");
}

TEST(InferBroadcast, WhereBroadcastsThreeWaysAndTakesXsDtype) {
  expect_shape(infer("Where", 16, {boolean({3, 1}), known(DType::kI64, {1, 4}), known(DType::kI64, {})}),
               DType::kI64, Shape{3, 4});
  expect_shape(infer("Where", 16, {boolean({4}), f32({2, 1, 4}), f32({3, 1})}), DType::kF32, Shape{2, 3, 4});
  expect_unknown_shape(infer("Where", 16, {unknown_rank(DType::kBool), f32({2}), f32({2})}), DType::kF32);
  expect_error(infer("Where", 16, {boolean({3}), f32({2}), f32({1})}), StatusCode::kInvalidArgument,
               "broadcast");
  expect_error(infer("Where", 16, {f32({3}), f32({3}), f32({3})}), StatusCode::kInvalidArgument, "condition");
  expect_error(infer("Where", 16, {boolean({3}), f32({3}), known(DType::kF64, {3})}),
               StatusCode::kInvalidArgument, "dtypes differ");
}

TEST(InferBroadcast, VariadicOpsBroadcastAllInputs) {
  for (const std::string op : {"Sum", "Mean", "Max", "Min"}) {
    expect_shape(infer(op, 13, {f32({2, 3})}), DType::kF32, Shape{2, 3});
    expect_shape(infer(op, 13, {f32({3, 1}), f32({4}), f32({2, 1, 1}), f32({})}), DType::kF32,
                 Shape{2, 3, 4});
    expect_error(infer(op, 13, {f32({3}), f32({3}), f32({2})}), StatusCode::kInvalidArgument, "input 2");
  }
  expect_shape(infer("Max", 13, {known(DType::kI32, {kU}), known(DType::kI32, {5})}), DType::kI32, Shape{5});
  expect_error(infer("Min", 13, {f32({3}), known(DType::kI32, {3})}), StatusCode::kInvalidArgument,
               "dtypes differ");
  expect_error(infer("Sum", 13, {}), StatusCode::kInvalidModel, "at least one");
}

TEST(InferBroadcast, ModAndBitShift) {
  expect_shape(infer("Mod", 13, {known(DType::kI32, {2, 3}), known(DType::kI32, {3})}), DType::kI32,
               Shape{2, 3});
  expect_shape(infer("Mod", 13, {f32({2, 3}), f32({1})}, {attr_int("fmod", 1)}), DType::kF32, Shape{2, 3});
  expect_error(infer("Mod", 13, {f32({2, 3}), f32({1})}), StatusCode::kInvalidArgument, "fmod");
  expect_shape(infer("Mod", 28, {f32({2, 3}), f32({1})}), DType::kF32, Shape{2, 3});
  expect_shape(infer("BitShift", 11, {known(DType::kU8, {4}), known(DType::kU8, {})}), DType::kU8, Shape{4});
  expect_error(infer("BitShift", 11, {known(DType::kU8, {4}), known(DType::kU8, {3})}),
               StatusCode::kInvalidArgument, "broadcast");
}

TEST(InferBroadcast, PReluKeepsXsShapeAndChecksTheSlope) {
  expect_shape(infer("PRelu", 16, {f32({2, 3, 4, 4}), f32({3, 1, 1})}), DType::kF32, Shape{2, 3, 4, 4});
  expect_shape(infer("PRelu", 16, {f32({2, 3}), f32({kU})}), DType::kF32, Shape{2, 3});
  // Unidirectional: the slope may not grow X.
  expect_error(infer("PRelu", 16, {f32({1, 3}), f32({2, 3})}), StatusCode::kInvalidArgument, "slope");
  expect_error(infer("PRelu", 16, {f32({2, 3}), f32({2})}), StatusCode::kInvalidArgument, "slope");
}

TEST(InferElementwiseMath, UnaryOpsKeepShapeAndDtype) {
  for (const std::string op :
       {"Sqrt", "Exp", "Log", "Neg", "Abs", "Erf", "Round", "Sign", "Atanh", "Elu", "Selu", "Celu",
        "ThresholdedRelu", "Softplus", "Softsign", "Mish", "Gelu", "Shrink"}) {
    expect_shape(infer(op, 20, {known(DType::kF64, {kU, 3})}), DType::kF64, Shape{kU, 3});
  }
}

TEST(InferElementwiseMath, ClassifiersGiveBool) {
  expect_shape(infer("IsNaN", 13, {f32({2, kU})}), DType::kBool, Shape{2, kU});
  expect_shape(infer("IsInf", 10, {known(DType::kF64, {})}), DType::kBool, Shape{});
  expect_unknown_shape(infer("IsNaN", 13, {unknown_rank(DType::kF32)}), DType::kBool);
}

TEST(InferElementwiseMath, CastLikeTakesSecondInputsDtypeAndSizeIsInt64Scalar) {
  expect_shape(infer("CastLike", 15, {f32({2, 3}), known(DType::kF16, {7})}), DType::kF16, Shape{2, 3});
  expect_shape(infer("Size", 13, {unknown_rank(DType::kF32)}), DType::kI64, Shape{});
  expect_shape(infer("Size", 13, {known(DType::kBool, {2, 3})}), DType::kI64, Shape{});
}

}  // namespace
}  // namespace fastserve
