// kernels/ref/run_via_f32.h: a float32 run function on f16 / bf16 tensors
// sees exact f32 copies, its f32 outputs are rounded back once, and tensors
// of other types pass through untouched.
#include "kernels/ref/run_via_f32.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/thread_pool.h"
#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

// y0 = x0 * 3 + x1 (f32 only), y1 = x2 + 1 (int64): checks the types it is given.
Status f32_kernel(const KernelContext& ctx) {
  if (ctx.inputs[0]->dtype() != DType::kF32 || ctx.inputs[1]->dtype() != DType::kF32 ||
      ctx.inputs[2]->dtype() != DType::kI64 || ctx.outputs[0]->dtype() != DType::kF32 ||
      ctx.outputs[1]->dtype() != DType::kI64) {
    return internal_error("unexpected dtypes");
  }
  for (int64_t i = 0; i < ctx.inputs[0]->numel(); ++i) {
    ctx.outputs[0]->data<float>()[i] = ctx.inputs[0]->data<float>()[i] * 3 + ctx.inputs[1]->data<float>()[i];
  }
  for (int64_t i = 0; i < ctx.inputs[2]->numel(); ++i) {
    ctx.outputs[1]->data<int64_t>()[i] = ctx.inputs[2]->data<int64_t>()[i] + 1;
  }
  return ok_status();
}

TEST(RunViaF32, WidensRunsAndRoundsBackOnce) {
  for (DType dt : {DType::kF16, DType::kBF16}) {
    const Tensor a = f32_as(f32({1.f / 3, 2.5f, -7}, {3}), dt), b = f32_as(f32({0.001f, 1, 2}, {3}), dt);
    const Tensor i = Tensor::from_vector<int64_t>({41, -1});
    Tensor y0 = Tensor::empty(dt, Shape{3}), y1 = Tensor::empty(DType::kI64, Shape{2});
    const std::vector<const Tensor*> ins = {&a, &b, &i};
    const std::vector<Tensor*> outs = {&y0, &y1};
    const std::vector<TensorInfo> in_infos = {TensorInfo::of(a), TensorInfo::of(b), TensorInfo::of(i)};
    const std::vector<TensorInfo> out_infos = {TensorInfo::of(y0), TensorInfo::of(y1)};
    const NodeView view("n", "Op", "", 17, nullptr, in_infos, out_infos);
    ThreadPool pool(1);
    const KernelContext ctx{view, ins, outs, nullptr, &pool};
    ASSERT_TRUE(run_via_f32_fn<&f32_kernel>(ctx).ok()) << dtype_name(dt);
    Tensor want = Tensor::empty(DType::kF32, Shape{3});
    for (int64_t k = 0; k < 3; ++k) {
      want.data<float>()[k] =
          static_cast<float>(a.element_as_double(k)) * 3 + static_cast<float>(b.element_as_double(k));
    }
    EXPECT_TRUE(tensors_near(y0, f32_as(want, dt), 0, 0)) << dtype_name(dt);
    EXPECT_EQ(y1.data<int64_t>()[0], 42);
    EXPECT_EQ(y1.data<int64_t>()[1], 0);
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
