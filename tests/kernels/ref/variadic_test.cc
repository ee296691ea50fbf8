// Reference Sum, Mean, Max, Min (kernels/ref/variadic.cc) with 1..4 inputs
// broadcast together, against sums/extremes written out here.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

Tensor run1(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out = run_ref(spec, inputs);
  if (out.size() != 1) {
    ADD_FAILURE() << spec.op_type << " returned " << out.size() << " outputs";
    return Tensor();
  }
  return out[0];
}

const std::vector<std::vector<Shape>> kShapeSets = {
    {Shape{2, 3}},
    {Shape{2, 3}, Shape{2, 3}},
    {Shape{3, 1}, Shape{4}},
    {Shape{}, Shape{2, 1, 4}, Shape{3, 1}},
    {Shape{5}, Shape{1}, Shape{2, 5}, Shape{}},
    {Shape{0, 2}, Shape{2}},
};

// Expected value computed in double over the inputs in order.
Tensor expected(const std::string& op, const std::vector<Tensor>& ins) {
  std::vector<Shape> shapes;
  for (const Tensor& t : ins) shapes.push_back(t.shape());
  const Shape out = broadcast_all(shapes);
  Tensor y = Tensor::empty(ins[0].dtype(), out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    std::vector<double> v;
    for (const Tensor& t : ins) v.push_back(t.element_as_double(broadcast_offset(out, t.shape(), i)));
    double r = 0;
    if (op == "Sum" || op == "Mean") {
      for (double e : v) r += e;
      if (op == "Mean") r /= static_cast<double>(v.size());
    } else {
      r = op == "Max" ? *std::max_element(v.begin(), v.end()) : *std::min_element(v.begin(), v.end());
    }
    if (y.dtype() == DType::kF32) y.data<float>()[i] = static_cast<float>(r);
    if (y.dtype() == DType::kF64) y.data<double>()[i] = r;
    if (y.dtype() == DType::kI32) y.data<int32_t>()[i] = static_cast<int32_t>(r);
    if (y.dtype() == DType::kU8) y.data<uint8_t>()[i] = static_cast<uint8_t>(r);
    if (y.dtype() == DType::kI64) y.data<int64_t>()[i] = static_cast<int64_t>(r);
  }
  return y;
}

TEST(RefVariadic, FloatOpsMatchWithOneToFourBroadcastInputs) {
  std::mt19937 rng(31);
  for (const std::string op : {"Sum", "Mean", "Max", "Min"}) {
    for (const std::vector<Shape>& shapes : kShapeSets) {
      for (DType dt : {DType::kF32, DType::kF64}) {
        std::vector<Tensor> ins;
        for (const Shape& s : shapes) ins.push_back(random_tensor(dt, s, rng, -10, 10));
        EXPECT_TRUE(tensors_near(run1({.op_type = op, .opset = 13}, ins), expected(op, ins), 1e-6, 1e-6))
            << op << " " << dtype_name(dt) << " with " << shapes.size() << " inputs";
      }
    }
  }
}

TEST(RefVariadic, IntegerMaxMin) {
  std::mt19937 rng(32);
  for (const std::string op : {"Max", "Min"}) {
    for (const std::vector<Shape>& shapes : kShapeSets) {
      for (DType dt : {DType::kI32, DType::kI64, DType::kU8}) {
        std::vector<Tensor> ins;
        for (const Shape& s : shapes) ins.push_back(random_tensor(dt, s, rng, 0, 200));
        EXPECT_TRUE(tensors_near(run1({.op_type = op, .opset = 13}, ins), expected(op, ins), 0, 0))
            << op << " " << dtype_name(dt);
      }
    }
  }
  // Extremes a double cannot represent exactly stay exact.
  const int64_t big = std::numeric_limits<int64_t>::max();
  const Tensor y = run1({.op_type = "Max", .opset = 13}, {Tensor::from_vector<int64_t>({big - 1, -big}),
                                                          Tensor::from_vector<int64_t>({big - 2, big})});
  ASSERT_TRUE(y.defined());
  EXPECT_EQ(y.data<int64_t>()[0], big - 1);
  EXPECT_EQ(y.data<int64_t>()[1], big);
}

TEST(RefVariadic, MaxAndMinPropagateNaN) {
  // NaN in either position, like numpy.maximum / ONNX's reference.
  const Tensor a = f32({kNaN, 1, 2}, {3}), b = f32({1, kNaN, 3}, {3});
  EXPECT_TRUE(tensors_near(run1({.op_type = "Max", .opset = 13}, {a, b}), f32({kNaN, kNaN, 3}, {3}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Min", .opset = 13}, {a, b}), f32({kNaN, kNaN, 2}, {3}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "Sum", .opset = 13}, {a, b}), f32({kNaN, kNaN, 5}, {3}), 0, 0));
}

TEST(RefVariadic, SingleInputIsCopied) {
  const Tensor x = f32({1, -2, 3}, {3});
  for (const std::string op : {"Sum", "Mean", "Max", "Min"}) {
    EXPECT_TRUE(tensors_near(run1({.op_type = op, .opset = 8}, {x}), x, 0, 0)) << op;
  }
}

// f16 / bf16: Max and Min are exact (the largest / smallest input value),
// Sum rounds after each input, so two inputs give the rounded float sum.
TEST(RefVariadic, HalfAndBFloat16) {
  std::mt19937 rng(33);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    for (const std::vector<Shape>& shapes : kShapeSets) {
      std::vector<Tensor> ins, ins32;
      for (const Shape& s : shapes) {
        ins.push_back(random_tensor(dt, s, rng, -10, 10));
        ins32.push_back(as_f32(ins.back()));
      }
      for (const std::string op : {"Max", "Min"}) {
        EXPECT_TRUE(
            tensors_near(run1({.op_type = op, .opset = 13}, ins), f32_as(expected(op, ins32), dt), 0, 0))
            << op << " " << dtype_name(dt) << " with " << shapes.size() << " inputs";
      }
      if (ins.size() == 2) {
        EXPECT_TRUE(tensors_near(run1({.op_type = "Sum", .opset = 13}, ins),
                                 f32_as(expected("Sum", ins32), dt), 0, 0))
            << dtype_name(dt);
      }
    }
  }
  const Tensor a = f32_as(f32({kNaN, 1, 2}, {3}), DType::kF16),
               b = f32_as(f32({1, kNaN, 3}, {3}), DType::kF16);
  EXPECT_TRUE(tensors_near(run1({.op_type = "Max", .opset = 13}, {a, b}),
                           f32_as(f32({kNaN, kNaN, 3}, {3}), DType::kF16), 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
