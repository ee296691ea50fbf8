// Reference Gather (kernels/ref/gather.cc): the ONNX spec examples, negative
// indices, int32 and int64 indices of rank 0..2, and out-of-range indices
// rejected with an error naming the node (by shape inference, and by the
// kernel itself when handed a context inference never checked).
#include <gtest/gtest.h>

#include "core/thread_pool.h"
#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(GatherRef, SpecExampleAxis0) {
  const Tensor data = f32s({1, 2, 3, 4, 5, 6}, Shape{3, 2});
  const Tensor idx = i64s({0, 1, 1, 2}, Shape{2, 2});
  auto r = run_reference({.op_type = "Gather", .opset = 13}, {data, idx});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({1, 2, 3, 4, 3, 4, 5, 6}, Shape{2, 2, 2})));
}

TEST(GatherRef, SpecExampleAxis1WithInt32Indices) {
  const Tensor data = f32s({1, 2, 3, 4, 5, 6, 7, 8, 9}, Shape{3, 3});
  const Tensor idx = Tensor::from_vector<int32_t>({0, 2}, Shape{1, 2});
  auto r = run_reference({.op_type = "Gather", .opset = 13, .attrs = {attr_int("axis", 1)}}, {data, idx});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({1, 3, 4, 6, 7, 9}, Shape{3, 1, 2})));
}

TEST(GatherRef, NegativeIndicesAndNegativeAxis) {
  const Tensor data = iota_f32(Shape{2, 4});
  auto r = run_reference({.op_type = "Gather", .opset = 13, .attrs = {attr_int("axis", -1)}},
                         {data, i64s({-1, 0, -4})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], f32s({3, 0, 0, 7, 4, 4}, Shape{2, 3})));
}

TEST(GatherRef, ScalarIndexIntoShapeVectorGivesScalar) {
  auto r = run_reference({.op_type = "Gather", .opset = 13}, {i64s({8, 3, 224}), Tensor::scalar<int64_t>(-1)});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], Tensor::scalar<int64_t>(224)));
}

TEST(GatherRef, OutOfRangeIndexIsAnErrorNamingTheNode) {
  const Tensor data = iota_f32(Shape{3, 2});
  auto r = run_reference({.op_type = "Gather", .opset = 13}, {data, i64s({0, 3})});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange);
  EXPECT_NE(r.status().message().find("node 'node0' (Gather)"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("index 3"), std::string::npos) << r.status().message();
}

TEST(GatherRef, KernelChecksIndicesItself) {
  const OpSpec spec{.op_type = "Gather", .opset = 13};
  const Tensor data = iota_f32(Shape{3, 2});
  const Tensor bad = Tensor::from_vector<int32_t>({-4});
  const KernelDesc* ref = reference_kernel(spec, {data, i64s({0})});
  ASSERT_NE(ref, nullptr);
  // A view whose output shape is right for one index, built without running
  // shape inference (which would reject the index first).
  const std::vector<TensorInfo> ins = {TensorInfo::of(data), TensorInfo::of(bad)};
  const std::vector<TensorInfo> outs = {TensorInfo::with_shape(DType::kF32, Shape{1, 2})};
  const NodeView view("g1", "Gather", "", 13, &spec.attrs, ins, outs);
  PrepareContext pctx;
  if (ref->prepare != nullptr) {
    ASSERT_TRUE(ref->prepare(view, pctx).ok());
  }
  Tensor y = Tensor::zeros(DType::kF32, Shape{1, 2});
  const Tensor* in_ptrs[] = {&data, &bad};
  Tensor* out_ptrs[] = {&y};
  ThreadPool pool(1);
  const KernelContext ctx{view, in_ptrs, out_ptrs, pctx.state.get(), &pool};
  const Status st = ref->run(ctx);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), StatusCode::kOutOfRange);
  EXPECT_NE(st.message().find("node 'g1' (Gather)"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("index -4"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace fastserve::testing
