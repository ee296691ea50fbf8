// Reference Gemm, MatMul and BatchNormalization (kernels/ref/gemm.cc,
// matmul.cc, batchnorm.cc) against hand-computed values and straightforward
// loops written here.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/ref/nn_ref.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::OpSpec;

Tensor run_ref(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return Tensor();
  auto out = testing::run_kernel(*ref, spec, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? (*out)[0] : Tensor();
}

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }

TEST(GemmRef, HandComputedWithBiasRow) {
  // [1 2; 3 4] * [5 6; 7 8] = [19 22; 43 50]; alpha 2, beta 0.5, C = [10 20].
  Tensor a = f32({1, 2, 3, 4}, Shape{2, 2});
  Tensor b = f32({5, 6, 7, 8}, Shape{2, 2});
  Tensor c = f32({10, 20}, Shape{2});
  Tensor y = run_ref(OpSpec{"Gemm", 13, {attr_float("alpha", 2.f), attr_float("beta", 0.5f)}}, {a, b, c});
  EXPECT_TRUE(testing::tensors_near(y, f32({43, 54, 91, 110}, Shape{2, 2})));
}

TEST(GemmRef, TransposesAndColumnC) {
  // A^T with A = [1 3; 2 4] is [1 2; 3 4]; B^T with B = [5 7; 6 8] is [5 6; 7 8].
  Tensor a = f32({1, 3, 2, 4}, Shape{2, 2});
  Tensor b = f32({5, 7, 6, 8}, Shape{2, 2});
  Tensor c = f32({1, -1}, Shape{2, 1});
  Tensor y = run_ref(OpSpec{"Gemm", 13, {attr_int("transA", 1), attr_int("transB", 1)}}, {a, b, c});
  EXPECT_TRUE(testing::tensors_near(y, f32({20, 23, 42, 49}, Shape{2, 2})));
  // Without C (opset 11+ makes it optional).
  Tensor y0 = run_ref(OpSpec{"Gemm", 13, {attr_int("transA", 1), attr_int("transB", 1)}}, {a, b});
  EXPECT_TRUE(testing::tensors_near(y0, f32({19, 22, 43, 50}, Shape{2, 2})));
}

TEST(GemmRef, ScalarAndFullC) {
  Tensor a = f32({1, 2, 3}, Shape{1, 3});
  Tensor b = f32({1, 0, 0, 1, 1, 1}, Shape{3, 2});
  // [1 2 3] * B = [4 5].
  EXPECT_TRUE(testing::tensors_near(run_ref(OpSpec{"Gemm"}, {a, b, Tensor::scalar<float>(1.f)}), f32({5, 6}, Shape{1, 2})));
  EXPECT_TRUE(testing::tensors_near(run_ref(OpSpec{"Gemm"}, {a, b, f32({-4, -5}, Shape{1, 2})}), f32({0, 0}, Shape{1, 2})));
}

TEST(MatMulRef, HandComputedVectors) {
  Tensor m = f32({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor v3 = f32({1, 0, -1}, Shape{3});
  Tensor v2 = f32({1, 1}, Shape{2});
  EXPECT_TRUE(testing::tensors_near(run_ref(OpSpec{"MatMul"}, {m, v3}), f32({-2, -2}, Shape{2})));
  EXPECT_TRUE(testing::tensors_near(run_ref(OpSpec{"MatMul"}, {v2, m}), f32({5, 7, 9}, Shape{3})));
  Tensor dot = run_ref(OpSpec{"MatMul"}, {v3, v3});
  ASSERT_EQ(dot.rank(), 0u);
  EXPECT_FLOAT_EQ(dot.data<float>()[0], 2.f);
}

TEST(MatMulRef, BroadcastBatchMatchesLoops) {
  std::mt19937 rng(1234);
  Tensor a = testing::random_f32({2, 1, 3, 4}, rng);
  Tensor b = testing::random_f32({3, 4, 5}, rng);
  Tensor y = run_ref(OpSpec{"MatMul"}, {a, b});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 3, 5}));
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 3; ++j) {
      for (int r = 0; r < 3; ++r) {
        for (int c = 0; c < 5; ++c) {
          double s = 0;
          for (int p = 0; p < 4; ++p) s += a.data<float>()[(i * 3 + r) * 4 + p] * b.data<float>()[(j * 4 + p) * 5 + c];
          EXPECT_NEAR(y.data<float>()[((i * 3 + j) * 3 + r) * 5 + c], s, 1e-5);
        }
      }
    }
  }
}

TEST(BatchNormRef, HandComputed) {
  // Channel 0: (x - 1) / sqrt(3 + 1) * 2 + 0.5; channel 1: (x - 0) / sqrt(0 + 1) * -1 + 0.
  Tensor x = f32({1, 3, 5, 7, 1, 2, 3, 4}, Shape{1, 2, 2, 2});
  Tensor y = run_ref(OpSpec{"BatchNormalization", 15, {attr_float("epsilon", 1.f)}},
                     {x, f32({2, -1}, Shape{2}), f32({0.5f, 0}, Shape{2}), f32({1, 0}, Shape{2}), f32({3, 0}, Shape{2})});
  EXPECT_TRUE(testing::tensors_near(y, f32({0.5f, 2.5f, 4.5f, 6.5f, -1, -2, -3, -4}, Shape{1, 2, 2, 2})));
}

// f64, f16 and bf16 MatMul: the dot products of the same values summed in
// double, rounded once to the type; broadcast batch dims as for f32.
TEST(MatMulRef, DoubleHalfAndBFloat16RoundTheDoubleDotProduct) {
  std::mt19937 rng(12);
  for (DType dt : {DType::kF64, DType::kF16, DType::kBF16}) {
    const Tensor a = testing::random_tensor(dt, {2, 1, 3, 5}, rng, -2, 2);
    const Tensor b = testing::random_tensor(dt, {4, 5, 6}, rng, -2, 2);
    const Tensor y = run_ref(OpSpec{"MatMul", 13}, {a, b});
    ASSERT_EQ(y.dtype(), dt);
    ASSERT_EQ(y.shape(), (Shape{2, 4, 3, 6}));
    for (int64_t i0 = 0; i0 < 2; ++i0) {
      for (int64_t i1 = 0; i1 < 4; ++i1) {
        for (int64_t r = 0; r < 3; ++r) {
          for (int64_t c = 0; c < 6; ++c) {
            double acc = 0;
            for (int64_t k = 0; k < 5; ++k) {
              acc += a.element_as_double((i0 * 3 + r) * 5 + k) * b.element_as_double((i1 * 5 + k) * 6 + c);
            }
            const int64_t o = ((i0 * 4 + i1) * 3 + r) * 6 + c;
            double want = acc;
            if (dt == DType::kF16) want = half_to_float(float_to_half(static_cast<float>(acc)));
            if (dt == DType::kBF16) want = bf16_to_float(float_to_bf16(static_cast<float>(acc)));
            EXPECT_EQ(y.element_as_double(o), want) << dtype_name(dt) << " at " << o;
          }
        }
      }
    }
  }
}

// training_mode = 1 (opset 14+): batch statistics (population variance over N
// and the spatial dims) written out here in double, and the running averages.
TEST(BatchNormRef, TrainingModeUsesBatchStatisticsAndUpdatesRunningOnes) {
  std::mt19937 rng(3);
  const Tensor x = testing::random_f32({3, 2, 4, 5}, rng, -2, 3);
  const Tensor scale = f32({1.5f, -0.5f}, Shape{2}), bias = f32({0.25f, 1}, Shape{2});
  const Tensor in_mean = f32({0.1f, -0.2f}, Shape{2}), in_var = f32({0.9f, 1.1f}, Shape{2});
  const float eps = 0.01f, momentum = 0.8f;
  const OpSpec spec{
      "BatchNormalization",
      15,
      {attr_int("training_mode", 1), attr_float("epsilon", eps), attr_float("momentum", momentum)},
      3};
  const KernelDesc* ref = testing::reference_kernel(spec, {x, scale, bias, in_mean, in_var});
  ASSERT_NE(ref, nullptr);
  auto out = testing::run_kernel(*ref, spec, {x, scale, bias, in_mean, in_var});
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  ASSERT_EQ(out->size(), 3u);
  Tensor want_y = Tensor::empty(DType::kF32, x.shape());
  std::vector<float> want_mean, want_var;
  for (int64_t c = 0; c < 2; ++c) {
    std::vector<double> vals;
    for (int64_t n = 0; n < 3; ++n) {
      for (int64_t i = 0; i < 20; ++i) vals.push_back(x.data<float>()[(n * 2 + c) * 20 + i]);
    }
    double m = 0, v = 0;
    for (double e : vals) m += e / static_cast<double>(vals.size());
    for (double e : vals) v += (e - m) * (e - m) / static_cast<double>(vals.size());
    for (int64_t n = 0; n < 3; ++n) {
      for (int64_t i = 0; i < 20; ++i) {
        const int64_t k = (n * 2 + c) * 20 + i;
        want_y.data<float>()[k] = static_cast<float>(
            (x.data<float>()[k] - m) / std::sqrt(v + eps) * scale.data<float>()[c] + bias.data<float>()[c]);
      }
    }
    want_mean.push_back(static_cast<float>(in_mean.data<float>()[c] * momentum + m * (1 - momentum)));
    want_var.push_back(static_cast<float>(in_var.data<float>()[c] * momentum + v * (1 - momentum)));
  }
  EXPECT_TRUE(testing::tensors_near((*out)[0], want_y, 1e-5, 1e-5));
  EXPECT_TRUE(testing::tensors_near((*out)[1], f32(want_mean, Shape{2}), 1e-6, 1e-6));
  EXPECT_TRUE(testing::tensors_near((*out)[2], f32(want_var, Shape{2}), 1e-6, 1e-6));
  // Y alone (no running outputs requested) is the same Y.
  auto y_only = testing::run_kernel(*ref, OpSpec{"BatchNormalization", 15, spec.attrs, 1},
                                    {x, scale, bias, in_mean, in_var});
  ASSERT_TRUE(y_only.ok()) << y_only.status().to_string();
  EXPECT_TRUE(testing::tensors_near((*y_only)[0], (*out)[0], 0, 0));
}

// Before opset 14 there is no training_mode; the old training form (extra
// outputs) stays unsupported rather than guessed.
TEST(BatchNormRef, TrainingOutputsBeforeOpset14AreNotAccepted) {
  const KernelRegistry& reg = KernelRegistry::global();
  const std::vector<Attribute> attrs;
  std::vector<TensorInfo> ins(5, TensorInfo::with_shape(DType::kF32, Shape{3}));
  ins[0] = TensorInfo::with_shape(DType::kF32, Shape{1, 3, 2, 2});
  std::vector<TensorInfo> outs(5, TensorInfo::with_shape(DType::kF32, Shape{3}));
  outs[0] = TensorInfo::with_shape(DType::kF32, Shape{1, 3, 2, 2});
  const NodeView view("bn", "BatchNormalization", "", 13, &attrs, ins, outs);
  EXPECT_FALSE(reg.select(view, Device::kCpu, Isa::kScalar).ok());
  const std::vector<Attribute> training = {attr_int("training_mode", 1)};
  const NodeView v13("bn", "BatchNormalization", "", 13, &training, ins, std::span(outs).first(3));
  EXPECT_FALSE(reg.select(v13, Device::kCpu, Isa::kScalar).ok());
}

}  // namespace
}  // namespace fastserve
