// Reference Identity and Dropout (kernels/ref/identity.cc): exact copies of
// any dtype; Dropout's mask is all true; training mode is refused.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(RefIdentity, CopiesEveryDtypeExactly) {
  std::mt19937 rng(1234);
  for (DType dt : {DType::kF32, DType::kF16, DType::kI64, DType::kU8, DType::kBool, DType::kF64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor x = random_tensor(dt, {3, 5}, rng, -100, 100);
    const std::vector<Tensor> y = run_ref({.op_type = "Identity", .opset = 16}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(same_bytes(y[0], x));
    EXPECT_NE(y[0].raw_data(), x.raw_data());
  }
  const std::vector<Tensor> e = run_ref({.op_type = "Identity", .opset = 16}, {f32({}, {0})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].numel(), 0);
}

TEST(RefDropout, InferenceCopiesAndMaskIsAllTrue) {
  std::mt19937 rng(1234);
  const Tensor x = random_f32({4, 7}, rng);
  // Opset 13: ratio input (ignored at inference) and the mask output.
  const std::vector<Tensor> y =
      run_ref({.op_type = "Dropout", .opset = 13, .num_outputs = 2}, {x, Tensor::scalar<float>(0.5f)});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_TRUE(same_bytes(y[0], x));
  ASSERT_EQ(y[1].dtype(), DType::kBool);
  ASSERT_EQ(y[1].shape(), x.shape());
  for (int64_t i = 0; i < y[1].numel(); ++i) EXPECT_TRUE(y[1].data<bool>()[i]) << i;
  // Opset 11: ratio attribute, one output; training_mode false is fine.
  const std::vector<Tensor> v11 =
      run_ref({.op_type = "Dropout", .opset = 11, .attrs = {attr_float("ratio", 0.3f)}}, {x});
  ASSERT_EQ(v11.size(), 1u);
  EXPECT_TRUE(same_bytes(v11[0], x));
  const std::vector<Tensor> off =
      run_ref({.op_type = "Dropout", .opset = 13}, {x, Tensor(), Tensor::scalar<bool>(false)});
  ASSERT_EQ(off.size(), 1u);
  EXPECT_TRUE(same_bytes(off[0], x));
}

TEST(RefDropout, TrainingModeIsUnsupported) {
  // (Shape inference refuses a constant true: InferElementwise.DropoutRejectsConstantTrainingMode.)
  const Tensor x = f32({1, 2, 3}, {3});
  const std::vector<Tensor> inputs = {x, Tensor::scalar<float>(0.5f), Tensor::scalar<bool>(true)};
  const OpSpec spec{.op_type = "Dropout", .opset = 13};
  // The kernel's accepts() refuses a constant true...
  const KernelDesc* ref = nullptr;
  for (const KernelDesc* d :
       KernelRegistry::global().candidates("Dropout", "", 13, Device::kCpu, DType::kF32)) {
    if (d->priority == 0) ref = d;
  }
  ASSERT_NE(ref, nullptr);
  const std::vector<TensorInfo> ins = {TensorInfo::of(inputs[0]), TensorInfo::of(inputs[1]),
                                       TensorInfo::of(inputs[2])};
  const std::vector<TensorInfo> outs = {TensorInfo::with_shape(DType::kF32, Shape{3})};
  const NodeView view("d", "Dropout", "", 13, &spec.attrs, ins, outs);
  ASSERT_NE(ref->accepts, nullptr);
  EXPECT_FALSE(ref->accepts(view));
  // ...and run() a true that only arrives at run time.
  std::vector<Tensor> out = {Tensor::empty(DType::kF32, Shape{3})};
  EXPECT_EQ(run_ref_without_inference(spec, inputs, out).code(), StatusCode::kUnsupported);
  // training_mode false runs.
  std::vector<Tensor> out2 = {Tensor::empty(DType::kF32, Shape{3})};
  EXPECT_TRUE(run_ref_without_inference(spec, {x, Tensor(), Tensor::scalar<bool>(false)}, out2).ok());
  EXPECT_EQ(out2[0].data<float>()[2], 3.f);
}

}  // namespace
}  // namespace fastserve::testing::ew
