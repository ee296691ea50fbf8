// Static shape inference of the data-movement ops (graph/infer_shape_ops.cc,
// graph/infer_region_ops.cc): unknown dims and unknown argument values are
// propagated, constants are used, and definite errors name the node and the
// numbers involved.
#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using ::fastserve::testing::attr_float;
using ::fastserve::testing::attr_floats;
using ::fastserve::testing::attr_int;
using ::fastserve::testing::attr_ints;
using ::fastserve::testing::attr_string;
using ::fastserve::testing::attr_tensor;

constexpr int64_t U = kUnknownDim;

TensorInfo dims(std::vector<int64_t> d, DType t = DType::kF32) { return TensorInfo::with_shape(t, Shape(d)); }
TensorInfo unranked(DType t = DType::kF32) { return {true, t, false, Shape(), nullptr}; }
// A value known at compile time (an initializer). The tensor must outlive the info.
TensorInfo constant(const Tensor& t) { return TensorInfo::of(t); }
TensorInfo absent() { return TensorInfo{}; }

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

// Shape of output i, or a marker when the rank is unknown.
Shape out_shape(const Inferred& r, size_t i = 0) {
  EXPECT_TRUE(r.status.ok()) << r.status.to_string();
  if (!r.status.ok() || i >= r.outputs.size()) return Shape{-99};
  return r.outputs[i].shape_known ? r.outputs[i].shape : Shape{-42};
}
const Shape kUnknownRank{-42};

// The error mentions the node and every expected fragment.
void expect_error(const Inferred& r, StatusCode code, std::vector<std::string> fragments) {
  ASSERT_FALSE(r.status.ok());
  EXPECT_EQ(r.status.code(), code) << r.status.to_string();
  EXPECT_NE(r.status.message().find("node 'n1'"), std::string::npos) << r.status.message();
  for (const std::string& f : fragments) {
    EXPECT_NE(r.status.message().find(f), std::string::npos) << "'" << f << "' not in: " << r.status.message();
  }
}

// ---- Flatten ----

TEST(InferFlatten, KnownAndUnknownDims) {
  EXPECT_EQ(out_shape(infer("Flatten", 13, {}, {dims({2, 3, 4})})), (Shape{2, 12}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {}, {dims({U, 3, 4})})), (Shape{U, 12}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {attr_int("axis", -1)}, {dims({2, U, 4})})), (Shape{U, 4}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {attr_int("axis", 0)}, {dims({2, 3})})), (Shape{1, 6}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {attr_int("axis", 3)}, {dims({2, 3, 4})})), (Shape{24, 1}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {attr_int("axis", 0)}, {unranked()})), (Shape{1, U}));
  EXPECT_EQ(out_shape(infer("Flatten", 13, {}, {unranked()})), (Shape{U, U}));
}

TEST(InferFlatten, AxisOutOfRangeNamesNode) {
  expect_error(infer("Flatten", 13, {attr_int("axis", 4)}, {dims({2, 3, 4})}), StatusCode::kInvalidArgument,
               {"axis = 4", "rank 3"});
}

// ---- Reshape ----

TEST(InferReshape, ConstantShapeCopiesZerosAndInfersMinusOne) {
  Tensor s = Tensor::from_vector<int64_t>({0, -1});
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({2, 3, 4}), constant(s)})), (Shape{2, 12}));
  // The unknown batch dim copied by the 0 cancels out, so -1 is still known.
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({U, 3, 4}), constant(s)})), (Shape{U, 12}));
  // An unknown dim not copied leaves the -1 unknown.
  Tensor s2 = Tensor::from_vector<int64_t>({-1, 4});
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({U, 3, 4}), constant(s2)})), (Shape{U, 4}));
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({2, U, 4}), constant(s)})), (Shape{2, U}));
  // Unknown input rank: literal dims survive.
  Tensor s3 = Tensor::from_vector<int64_t>({3, -1, 0});
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {unranked(), constant(s3)})), (Shape{3, U, U}));
}

TEST(InferReshape, UnknownShapeValueKeepsRankFromItsLength) {
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({2, 3}), dims({3}, DType::kI64)})), (Shape{U, U, U}));
  EXPECT_EQ(out_shape(infer("Reshape", 13, {}, {dims({2, 3}), dims({U}, DType::kI64)})), kUnknownRank);
}

TEST(InferReshape, AllowZeroKeepsLiteralZero) {
  Tensor s = Tensor::from_vector<int64_t>({0, 4});
  EXPECT_EQ(out_shape(infer("Reshape", 14, {attr_int("allowzero", 1)}, {dims({0, 4}), constant(s)})), (Shape{0, 4}));
  // Without allowzero the 0 copies dim 0.
  EXPECT_EQ(out_shape(infer("Reshape", 14, {}, {dims({3, 4}), constant(s)})), (Shape{3, 4}));
  // Before opset 14 the attribute does not exist, so 0 still copies.
  EXPECT_EQ(out_shape(infer("Reshape", 13, {attr_int("allowzero", 1)}, {dims({3, 4}), constant(s)})), (Shape{3, 4}));
  Tensor bad = Tensor::from_vector<int64_t>({0, -1});
  expect_error(infer("Reshape", 14, {attr_int("allowzero", 1)}, {dims({3, 4}), constant(bad)}),
               StatusCode::kInvalidArgument, {"[0,-1]", "allowzero"});
}

TEST(InferReshape, DefiniteErrorsNameNodeAndNumbers) {
  Tensor two = Tensor::from_vector<int64_t>({-1, 2, -1});
  expect_error(infer("Reshape", 13, {}, {dims({2, 3, 4}), constant(two)}), StatusCode::kInvalidArgument,
               {"more than one -1", "[-1,2,-1]"});
  Tensor mismatch = Tensor::from_vector<int64_t>({5, 5});
  expect_error(infer("Reshape", 13, {}, {dims({2, 3, 4}), constant(mismatch)}), StatusCode::kInvalidArgument,
               {"[2,3,4]", "[5,5]"});
  // The mismatch is definite even with an unknown dim, when it cancels.
  Tensor mismatch2 = Tensor::from_vector<int64_t>({0, 13});
  expect_error(infer("Reshape", 13, {}, {dims({U, 3, 4}), constant(mismatch2)}), StatusCode::kInvalidArgument,
               {"[0,13]"});
  Tensor indivisible = Tensor::from_vector<int64_t>({5, -1});
  expect_error(infer("Reshape", 13, {}, {dims({2, 3, 4}), constant(indivisible)}), StatusCode::kInvalidArgument,
               {"[5,-1]"});
  Tensor copy_past_rank = Tensor::from_vector<int64_t>({2, 3, 0});
  expect_error(infer("Reshape", 13, {}, {dims({6, 4}), constant(copy_past_rank)}), StatusCode::kInvalidArgument,
               {"rank 2"});
}

// ---- Transpose ----

TEST(InferTranspose, DefaultReversesAndPermApplies) {
  EXPECT_EQ(out_shape(infer("Transpose", 13, {}, {dims({U, 3, 5})})), (Shape{5, 3, U}));
  EXPECT_EQ(out_shape(infer("Transpose", 13, {attr_ints("perm", {0, 2, 3, 1})}, {dims({U, 3, 8, 9})})),
            (Shape{U, 8, 9, 3}));
  EXPECT_EQ(out_shape(infer("Transpose", 13, {attr_ints("perm", {1, 0, 2})}, {unranked()})), (Shape{U, U, U}));
  EXPECT_EQ(out_shape(infer("Transpose", 13, {}, {unranked()})), kUnknownRank);
}

TEST(InferTranspose, BadPermIsAnError) {
  expect_error(infer("Transpose", 13, {attr_ints("perm", {0, 0, 1})}, {dims({2, 3, 4})}), StatusCode::kInvalidModel,
               {"[0,0,1]"});
  expect_error(infer("Transpose", 13, {attr_ints("perm", {1, 0})}, {dims({2, 3, 4})}), StatusCode::kInvalidArgument,
               {"rank 3"});
}

// ---- Concat ----

TEST(InferConcat, SumsAxisAndMergesOtherDims) {
  EXPECT_EQ(out_shape(infer("Concat", 13, {attr_int("axis", 1)}, {dims({2, 3, 4}), dims({U, 5, 4})})),
            (Shape{2, 8, 4}));
  EXPECT_EQ(out_shape(infer("Concat", 13, {attr_int("axis", -1)}, {dims({2, 3, 4}), dims({2, 3, 0})})),
            (Shape{2, 3, 4}));
  EXPECT_EQ(out_shape(infer("Concat", 13, {attr_int("axis", 0)}, {dims({U, 4}), dims({2, 4})})), (Shape{U, 4}));
  EXPECT_EQ(out_shape(infer("Concat", 13, {attr_int("axis", 0)}, {unranked(), dims({2, 4})})), (Shape{U, 4}));
  Inferred r = infer("Concat", 13, {attr_int("axis", 0)}, {dims({1}, DType::kI64), dims({2}, DType::kI64)});
  EXPECT_EQ(out_shape(r), (Shape{3}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kI64);
}

TEST(InferConcat, MismatchesAreErrors) {
  expect_error(infer("Concat", 13, {attr_int("axis", 1)}, {dims({2, 3}), dims({4, 3})}), StatusCode::kInvalidArgument,
               {"dim 0", "4", "2"});
  expect_error(infer("Concat", 13, {attr_int("axis", 0)}, {dims({2, 3}), dims({2, 3, 1})}),
               StatusCode::kInvalidArgument, {"rank 3", "rank 2"});
  expect_error(infer("Concat", 13, {attr_int("axis", 0)}, {dims({2}), dims({2}, DType::kI64)}),
               StatusCode::kInvalidArgument, {"int64", "float32"});
  expect_error(infer("Concat", 13, {attr_int("axis", 2)}, {dims({2, 3}), dims({2, 3})}),
               StatusCode::kInvalidArgument, {"axis = 2"});
  expect_error(infer("Concat", 13, {}, {dims({2, 3})}), StatusCode::kInvalidModel, {"axis"});
}

// ---- Split ----

TEST(InferSplit, AttributeBeforeOpset13) {
  Inferred r = infer("Split", 11, {attr_int("axis", 1), attr_ints("split", {2, 4})}, {dims({U, 6})}, 2);
  EXPECT_EQ(out_shape(r, 0), (Shape{U, 2}));
  EXPECT_EQ(out_shape(r, 1), (Shape{U, 4}));
  Inferred eq = infer("Split", 11, {attr_int("axis", -1)}, {dims({U, 6})}, 3);
  EXPECT_EQ(out_shape(eq, 2), (Shape{U, 2}));
}

TEST(InferSplit, InputFromOpset13) {
  Tensor split = Tensor::from_vector<int64_t>({1, 5});
  Inferred r = infer("Split", 13, {}, {dims({6, 2}), constant(split)}, 2);
  EXPECT_EQ(out_shape(r, 0), (Shape{1, 2}));
  EXPECT_EQ(out_shape(r, 1), (Shape{5, 2}));
  // A non-constant split input: the split dim is unknown, the rest is not.
  Inferred u = infer("Split", 13, {}, {dims({6, 2}), dims({2}, DType::kI64)}, 2);
  EXPECT_EQ(out_shape(u, 1), (Shape{U, 2}));
  // The attribute is not read from 13 on: equal split.
  Inferred a = infer("Split", 13, {attr_ints("split", {1, 5})}, {dims({6, 2})}, 2);
  EXPECT_EQ(out_shape(a, 0), (Shape{3, 2}));
}

TEST(InferSplit, UnevenSplitLastChunkSmallerFromOpset18) {
  Inferred r = infer("Split", 18, {attr_int("num_outputs", 3)}, {dims({10})}, 3);
  EXPECT_EQ(out_shape(r, 0), (Shape{4}));
  EXPECT_EQ(out_shape(r, 1), (Shape{4}));
  EXPECT_EQ(out_shape(r, 2), (Shape{2}));
  expect_error(infer("Split", 13, {}, {dims({10})}, 3), StatusCode::kInvalidArgument, {"10", "3"});
  expect_error(infer("Split", 18, {attr_int("num_outputs", 4)}, {dims({5})}, 4), StatusCode::kInvalidArgument,
               {"5", "4"});
}

TEST(InferSplit, InconsistentArgumentsAreErrors) {
  Tensor split = Tensor::from_vector<int64_t>({2, 2});
  expect_error(infer("Split", 13, {}, {dims({6}), constant(split)}, 2), StatusCode::kInvalidArgument,
               {"sums to 4", "6"});
  expect_error(infer("Split", 13, {}, {dims({4}), constant(split)}, 3), StatusCode::kInvalidArgument,
               {"3 outputs"});
  expect_error(infer("Split", 18, {attr_int("num_outputs", 2)}, {dims({4}), constant(split)}, 2),
               StatusCode::kInvalidModel, {"num_outputs"});
  expect_error(infer("Split", 18, {attr_int("num_outputs", 3)}, {dims({6})}, 2), StatusCode::kInvalidModel,
               {"num_outputs = 3", "2 outputs"});
}

// ---- Slice ----

TEST(InferSlice, ConstantArgumentsClampAndStep) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  Tensor starts = Tensor::from_vector<int64_t>({1, -1, 0});
  Tensor ends = Tensor::from_vector<int64_t>({kMax, kMin, 100});
  Tensor axes = Tensor::from_vector<int64_t>({0, 1, -1});
  Tensor steps = Tensor::from_vector<int64_t>({2, -1, 3});
  // dim0 [1,10) step 2 -> 5; dim1 reversed whole -> 7; dim2 [0,8) step 3 -> 3.
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({10, 7, 8}), constant(starts), constant(ends), constant(axes),
                                             constant(steps)})),
            (Shape{5, 7, 3}));
  // Unknown dims that are sliced become unknown; the others pass through.
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({U, U, 8}), constant(starts), constant(ends), constant(axes),
                                             constant(steps)})),
            (Shape{U, U, 3}));
  Tensor s1 = Tensor::from_vector<int64_t>({2});
  Tensor e1 = Tensor::from_vector<int64_t>({kMax});
  Tensor a1 = Tensor::from_vector<int64_t>({1});
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({U, 5}), constant(s1), constant(e1), constant(a1)})),
            (Shape{U, 3}));
}

TEST(InferSlice, UnknownArgumentsKeepRank) {
  Tensor a1 = Tensor::from_vector<int64_t>({-1});
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({4, 5, 6}), dims({1}, DType::kI64), dims({1}, DType::kI64),
                                             constant(a1)})),
            (Shape{4, 5, U}));
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({4, 5, 6}), dims({2}, DType::kI64), dims({2}, DType::kI64)})),
            (Shape{U, U, 6}));
  EXPECT_EQ(out_shape(infer("Slice", 13, {}, {dims({4, 5}), unranked(DType::kI64), unranked(DType::kI64),
                                             dims({U}, DType::kI64)})),
            (Shape{U, U}));
}

TEST(InferSlice, BadArgumentsAreErrors) {
  Tensor s = Tensor::from_vector<int64_t>({0});
  Tensor e = Tensor::from_vector<int64_t>({2});
  Tensor zero_step = Tensor::from_vector<int64_t>({0});
  Tensor a = Tensor::from_vector<int64_t>({0});
  expect_error(infer("Slice", 13, {}, {dims({4}), constant(s), constant(e), constant(a), constant(zero_step)}),
               StatusCode::kInvalidArgument, {"steps[0] is 0"});
  Tensor bad_axis = Tensor::from_vector<int64_t>({3});
  expect_error(infer("Slice", 13, {}, {dims({4}), constant(s), constant(e), constant(bad_axis)}),
               StatusCode::kInvalidArgument, {"axes[0] = 3"});
  Tensor two = Tensor::from_vector<int64_t>({0, 1});
  expect_error(infer("Slice", 13, {}, {dims({4, 4}), constant(two), constant(e)}), StatusCode::kInvalidArgument,
               {"starts has 2", "ends has 1"});
}

// ---- Squeeze / Unsqueeze ----

TEST(InferSqueeze, AxesAttributeThenInput) {
  EXPECT_EQ(out_shape(infer("Squeeze", 11, {attr_ints("axes", {0, -1})}, {dims({1, U, 1})})), (Shape{U}));
  Tensor axes = Tensor::from_vector<int64_t>({1});
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({3, 1, U}), constant(axes)})), (Shape{3, U}));
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({3, 1, U}), dims({2}, DType::kI64)})), (Shape{U}));
}

TEST(InferSqueeze, NoAxesDropsEveryOne) {
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({1, 3, 1, 2})})), (Shape{3, 2}));
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({1, 1})})), (Shape{}));
  Tensor empty_axes = Tensor::from_vector<int64_t>({});
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({1, 3, 1}), constant(empty_axes)})), (Shape{3}));
  // An unknown dim might be 1: the rank is unknown.
  EXPECT_EQ(out_shape(infer("Squeeze", 13, {}, {dims({1, U})})), kUnknownRank);
}

TEST(InferSqueeze, NonUnitAxisIsAnError) {
  Tensor axes = Tensor::from_vector<int64_t>({0});
  expect_error(infer("Squeeze", 13, {}, {dims({3, 1}), constant(axes)}), StatusCode::kInvalidArgument,
               {"axis 0", "size is 3"});
}

TEST(InferUnsqueeze, NegativeAxesCountFromOutputRank) {
  Tensor axes = Tensor::from_vector<int64_t>({-1, 0});
  EXPECT_EQ(out_shape(infer("Unsqueeze", 13, {}, {dims({3, U}), constant(axes)})), (Shape{1, 3, U, 1}));
  EXPECT_EQ(out_shape(infer("Unsqueeze", 11, {attr_ints("axes", {1, -1})}, {dims({3})})), (Shape{3, 1, 1}));
  Tensor zero = Tensor::from_vector<int64_t>({0});
  EXPECT_EQ(out_shape(infer("Unsqueeze", 13, {}, {dims({}, DType::kI64), constant(zero)})), (Shape{1}));
  EXPECT_EQ(out_shape(infer("Unsqueeze", 13, {}, {dims({3}), dims({2}, DType::kI64)})), (Shape{U, U, U}));
}

TEST(InferUnsqueeze, RepeatedOrOutOfRangeAxesAreErrors) {
  Tensor dup = Tensor::from_vector<int64_t>({0, -3});
  expect_error(infer("Unsqueeze", 13, {}, {dims({3}), constant(dup)}), StatusCode::kInvalidArgument,
               {"repeats axis 0"});
  Tensor far = Tensor::from_vector<int64_t>({3});
  expect_error(infer("Unsqueeze", 13, {}, {dims({3}), constant(far)}), StatusCode::kInvalidArgument,
               {"axes[0] = 3", "rank 2"});
  expect_error(infer("Unsqueeze", 11, {}, {dims({3})}), StatusCode::kInvalidModel, {"axes"});
}

// ---- Gather ----

TEST(InferGather, OutputSplicesIndicesShape) {
  EXPECT_EQ(out_shape(infer("Gather", 13, {}, {dims({5, U}), dims({2, 3}, DType::kI64)})), (Shape{2, 3, U}));
  EXPECT_EQ(out_shape(infer("Gather", 13, {attr_int("axis", -1)}, {dims({5, 6, 7}), dims({4}, DType::kI32)})),
            (Shape{5, 6, 4}));
  // Shape arithmetic: a scalar index into a 1-D int64 tensor gives a 0-D tensor.
  Inferred r = infer("Gather", 13, {}, {dims({3}, DType::kI64), dims({}, DType::kI64)});
  EXPECT_EQ(out_shape(r), (Shape{}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kI64);
}

TEST(InferGather, ConstantIndexOutOfRangeIsAnError) {
  Tensor idx = Tensor::from_vector<int64_t>({0, -6});
  expect_error(infer("Gather", 13, {}, {dims({5, 2}), constant(idx)}), StatusCode::kOutOfRange,
               {"index -6", "size 5"});
  Tensor ok = Tensor::from_vector<int64_t>({4, -5});
  EXPECT_EQ(out_shape(infer("Gather", 13, {}, {dims({5, 2}), constant(ok)})), (Shape{2, 2}));
  expect_error(infer("Gather", 13, {}, {dims({5}), dims({1}, DType::kF32)}), StatusCode::kInvalidArgument,
               {"int32 or int64"});
}

// ---- Shape / Constant ----

TEST(InferShapeOp, StartEndAttributes) {
  Inferred r = infer("Shape", 15, {}, {dims({U, 3, 4})});
  EXPECT_EQ(out_shape(r), (Shape{3}));
  EXPECT_EQ(r.outputs[0].dtype, DType::kI64);
  EXPECT_EQ(out_shape(infer("Shape", 15, {attr_int("start", 1)}, {dims({U, 3, 4})})), (Shape{2}));
  EXPECT_EQ(out_shape(infer("Shape", 15, {attr_int("start", -1)}, {dims({U, 3, 4})})), (Shape{1}));
  EXPECT_EQ(out_shape(infer("Shape", 15, {attr_int("start", 1), attr_int("end", 10)}, {dims({U, 3, 4})})),
            (Shape{2}));
  EXPECT_EQ(out_shape(infer("Shape", 15, {attr_int("start", 2), attr_int("end", 1)}, {dims({U, 3, 4})})),
            (Shape{0}));
  EXPECT_EQ(out_shape(infer("Shape", 15, {}, {unranked()})), (Shape{U}));
}

TEST(InferConstant, EveryValueAttribute) {
  Inferred t = infer("Constant", 13, {attr_tensor("value", Tensor::zeros(DType::kF16, Shape{2, 3}))}, {});
  EXPECT_EQ(out_shape(t), (Shape{2, 3}));
  EXPECT_EQ(t.outputs[0].dtype, DType::kF16);
  Inferred f = infer("Constant", 13, {attr_float("value_float", 1.5f)}, {});
  EXPECT_EQ(out_shape(f), (Shape{}));
  EXPECT_EQ(f.outputs[0].dtype, DType::kF32);
  EXPECT_EQ(out_shape(infer("Constant", 13, {attr_floats("value_floats", {1, 2, 3})}, {})), (Shape{3}));
  Inferred i = infer("Constant", 13, {attr_int("value_int", 7)}, {});
  EXPECT_EQ(out_shape(i), (Shape{}));
  EXPECT_EQ(i.outputs[0].dtype, DType::kI64);
  EXPECT_EQ(out_shape(infer("Constant", 13, {attr_ints("value_ints", {1, 2})}, {})), (Shape{2}));
}

TEST(InferConstant, SparseAndStringAreUnsupported) {
  Attribute sparse;
  sparse.name = "sparse_value";
  expect_error(infer("Constant", 13, {sparse}, {}), StatusCode::kUnsupported, {"sparse_value"});
  expect_error(infer("Constant", 13, {attr_string("value_string", "x")}, {}), StatusCode::kUnsupported,
               {"value_string"});
  expect_error(infer("Constant", 13, {}, {}), StatusCode::kInvalidModel, {"value"});
}

// ---- Pad ----

TEST(InferPad, ConstantPadsGrowAndCrop) {
  Tensor pads = Tensor::from_vector<int64_t>({1, 2, 0, -1});  // begin (1, 2), end (0, -1)
  EXPECT_EQ(out_shape(infer("Pad", 13, {}, {dims({3, 4}), constant(pads)})), (Shape{4, 5}));
  EXPECT_EQ(out_shape(infer("Pad", 13, {}, {dims({U, 4}), constant(pads)})), (Shape{U, 5}));
  Tensor axes_pads = Tensor::from_vector<int64_t>({2, 3});
  Tensor axes = Tensor::from_vector<int64_t>({-1});
  EXPECT_EQ(out_shape(infer("Pad", 18, {}, {dims({U, 4}), constant(axes_pads), absent(), constant(axes)})),
            (Shape{U, 9}));
  // Non-constant pads: rank kept, padded dims unknown.
  EXPECT_EQ(out_shape(infer("Pad", 18, {}, {dims({2, 4}), dims({2}, DType::kI64), absent(), constant(axes)})),
            (Shape{2, U}));
  EXPECT_EQ(out_shape(infer("Pad", 13, {}, {dims({2, 4}), dims({4}, DType::kI64)})), (Shape{U, U}));
}

TEST(InferPad, BadArgumentsAreErrors) {
  Tensor crop = Tensor::from_vector<int64_t>({-3, 0, -1, 0});
  expect_error(infer("Pad", 13, {}, {dims({3, 4}), constant(crop)}), StatusCode::kInvalidArgument,
               {"dim 0", "size 3"});
  Tensor pads = Tensor::from_vector<int64_t>({1, 1});
  expect_error(infer("Pad", 13, {}, {dims({3, 4}), constant(pads)}), StatusCode::kInvalidArgument,
               {"expected 4"});
  Tensor p4 = Tensor::from_vector<int64_t>({1, 1, 1, 1});
  expect_error(infer("Pad", 18, {attr_string("mode", "wrap")}, {dims({3, 4}), constant(p4)}),
               StatusCode::kInvalidModel, {"opset 19"});
  expect_error(infer("Pad", 19, {attr_string("mode", "mirror")}, {dims({3, 4}), constant(p4)}),
               StatusCode::kInvalidModel, {"mirror"});
  expect_error(infer("Pad", 13, {attr_string("mode", "reflect")}, {dims({0, 4}), constant(p4)}),
               StatusCode::kInvalidArgument, {"size 0"});
  Tensor cv = Tensor::scalar<int64_t>(1);
  expect_error(infer("Pad", 13, {}, {dims({3, 4}), constant(p4), constant(cv)}), StatusCode::kInvalidArgument,
               {"int64", "float32"});
}

}  // namespace
}  // namespace fastserve
