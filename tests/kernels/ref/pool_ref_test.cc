// Reference pooling (kernels/ref/pool.cc) against hand-computed outputs:
// MaxPool (pads, strides, dilations, ceil_mode, Indices in both storage
// orders), AveragePool (count_include_pad, ceil_mode), global pools.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "kernels/ref/nn_ref.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

std::vector<Tensor> run_ref(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  const KernelDesc* ref = testing::reference_kernel(spec, inputs);
  if (ref == nullptr) return {};
  auto out = testing::run_kernel(*ref, spec, inputs);
  EXPECT_TRUE(out.ok()) << out.status().to_string();
  return out.ok() ? *out : std::vector<Tensor>{};
}

Tensor iota(Shape shape, float start = 1.f) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = start + static_cast<float>(i);
  return t;
}

Tensor f32(std::vector<float> v, Shape s) { return Tensor::from_vector<float>(v, std::move(s)); }

TEST(MaxPoolRef, HandComputed2x2Stride2) {
  // x = 1..16 (4x4): maxima are the bottom-right of each 2x2 block.
  auto y = run_ref(OpSpec{"MaxPool", 17, {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2})}},
                   {iota({1, 1, 4, 4})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(testing::tensors_near(y[0], f32({6, 8, 14, 16}, Shape{1, 1, 2, 2})));
}

TEST(MaxPoolRef, PaddingNeverWinsAndCeilMode) {
  // Negative inputs with pads 1: the padded zeros must not become the max.
  Tensor x = f32({-1, -2, -3, -4, -5, -6, -7, -8, -9}, Shape{1, 1, 3, 3});
  auto y = run_ref(OpSpec{"MaxPool", 17,
                          {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2}), attr_ints("pads", {1, 1, 1, 1})}},
                   {x});
  EXPECT_TRUE(testing::tensors_near(y[0], f32({-1, -2, -4, -5}, Shape{1, 1, 2, 2})));
  // ceil_mode on 1..5 (1-D), k 2, s 2: windows [1,2] [3,4] [5] -> 2, 4, 5.
  auto c = run_ref(OpSpec{"MaxPool", 17, {attr_ints("kernel_shape", {2}), attr_ints("strides", {2}), attr_int("ceil_mode", 1)}},
                   {iota({1, 1, 5})});
  EXPECT_TRUE(testing::tensors_near(c[0], f32({2, 4, 5}, Shape{1, 1, 3})));
}

TEST(MaxPoolRef, Dilated) {
  // 1-D x = 1..7, k 2, d 3: windows (0,3) (1,4) (2,5) (3,6) -> 4, 5, 6, 7.
  auto y = run_ref(OpSpec{"MaxPool", 17, {attr_ints("kernel_shape", {2}), attr_ints("dilations", {3})}}, {iota({1, 1, 7})});
  EXPECT_TRUE(testing::tensors_near(y[0], f32({4, 5, 6, 7}, Shape{1, 1, 4})));
}

TEST(MaxPoolRef, IndicesRowAndColumnMajor) {
  // N=1, C=2, 2x3 planes; 2x2 windows stride 1. Plane 1 holds 7..12.
  Tensor x = iota({1, 2, 2, 3});
  OpSpec row{"MaxPool", 17, {attr_ints("kernel_shape", {2, 2})}, 2};
  auto y = run_ref(row, {x});
  ASSERT_EQ(y.size(), 2u);
  EXPECT_TRUE(testing::tensors_near(y[0], f32({5, 6, 11, 12}, Shape{1, 2, 1, 2})));
  // Row-major flat indices: (c*2 + h)*3 + w -> 4, 5, 10, 11.
  const int64_t* idx = y[1].data<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(idx, idx + 4), (std::vector<int64_t>{4, 5, 10, 11}));
  OpSpec col{"MaxPool", 17, {attr_ints("kernel_shape", {2, 2}), attr_int("storage_order", 1)}, 2};
  auto yc = run_ref(col, {x});
  // Column-major spatial: c*6 + w*2 + h -> (h1,w1) = 3, (h1,w2) = 5, plus 6 for plane 1.
  const int64_t* idc = yc[1].data<int64_t>();
  EXPECT_EQ(std::vector<int64_t>(idc, idc + 4), (std::vector<int64_t>{3, 5, 9, 11}));
}

TEST(AveragePoolRef, CountIncludePadOnAndOff) {
  // x = 1..9 (3x3), k 2, s 2, pads 1: the four windows cover the real cells
  // {1}, {2,3}, {4,7}, {5,6,8,9}; every window lies inside the padded input,
  // so with count_include_pad the divisor is always 4.
  Tensor x = iota({1, 1, 3, 3});
  const std::vector<Attribute> base = {attr_ints("kernel_shape", {2, 2}), attr_ints("strides", {2, 2}),
                                       attr_ints("pads", {1, 1, 1, 1})};
  auto excl = run_ref(OpSpec{"AveragePool", 17, base}, {x});
  // Windows: {1}, {2,3}, {4,7}, {5,6,8,9}.
  EXPECT_TRUE(testing::tensors_near(excl[0], f32({1, 2.5f, 5.5f, 7}, Shape{1, 1, 2, 2})));
  std::vector<Attribute> incl_attrs = base;
  incl_attrs.push_back(attr_int("count_include_pad", 1));
  auto incl = run_ref(OpSpec{"AveragePool", 17, incl_attrs}, {x});
  EXPECT_TRUE(testing::tensors_near(incl[0], f32({0.25f, 1.25f, 2.75f, 7}, Shape{1, 1, 2, 2})));
}

TEST(AveragePoolRef, CeilModeExtraCellsNeverCount) {
  // 1-D x = 1..5, k 2, s 2, ceil_mode: last window [5, past-the-end] averages 5
  // alone even with count_include_pad (the extra cell is not a pad).
  auto y = run_ref(OpSpec{"AveragePool", 17,
                          {attr_ints("kernel_shape", {2}), attr_ints("strides", {2}), attr_int("ceil_mode", 1),
                           attr_int("count_include_pad", 1)}},
                   {iota({1, 1, 5})});
  EXPECT_TRUE(testing::tensors_near(y[0], f32({1.5f, 3.5f, 5}, Shape{1, 1, 3})));
  // With an end pad of 1 the last window covers [5, pad]: 5/2 with count_include_pad.
  auto p = run_ref(OpSpec{"AveragePool", 17,
                          {attr_ints("kernel_shape", {2}), attr_ints("strides", {2}), attr_ints("pads", {0, 1}),
                           attr_int("count_include_pad", 1)}},
                   {iota({1, 1, 5})});
  EXPECT_TRUE(testing::tensors_near(p[0], f32({1.5f, 3.5f, 2.5f}, Shape{1, 1, 3})));
}

TEST(AveragePoolRef, SameUpperAndDilations) {
  // 1-D x = 1..4, k 2, SAME_UPPER s 1: pad (0, 1): windows [1,2] [2,3] [3,4] [4] -> exclude pad.
  auto y = run_ref(OpSpec{"AveragePool", 19, {attr_ints("kernel_shape", {2}), attr_string("auto_pad", "SAME_UPPER")}},
                   {iota({1, 1, 4})});
  EXPECT_TRUE(testing::tensors_near(y[0], f32({1.5f, 2.5f, 3.5f, 4}, Shape{1, 1, 4})));
  // dilations (opset 19): x = 1..6, k 2, d 2: (1,3) (2,4) (3,5) (4,6).
  auto d = run_ref(OpSpec{"AveragePool", 19, {attr_ints("kernel_shape", {2}), attr_ints("dilations", {2})}},
                   {iota({1, 1, 6})});
  EXPECT_TRUE(testing::tensors_near(d[0], f32({2, 3, 4, 5}, Shape{1, 1, 4})));
}

TEST(GlobalPoolRef, AverageAndMax) {
  Tensor x = f32({1, 5, -3, 2, 0, 0, 0, -8}, Shape{1, 2, 2, 2});
  auto avg = run_ref(OpSpec{"GlobalAveragePool"}, {x});
  EXPECT_TRUE(testing::tensors_near(avg[0], f32({1.25f, -2}, Shape{1, 2, 1, 1})));
  auto mx = run_ref(OpSpec{"GlobalMaxPool"}, {x});
  EXPECT_TRUE(testing::tensors_near(mx[0], f32({5, 0}, Shape{1, 2, 1, 1})));
}

// Every other MaxPool-22 type picks the same elements as f32 does (with
// values each type holds exactly), Indices included.
TEST(MaxPoolRef, EveryTypeMatchesTheF32Path) {
  std::mt19937 rng(9);
  const OpSpec spec{
      "MaxPool",
      22,
      {attr_ints("kernel_shape", {3, 2}), attr_ints("strides", {2, 1}), attr_ints("pads", {1, 0, 1, 1})},
      2};
  for (DType dt : {DType::kU8, DType::kI8, DType::kF16, DType::kBF16, DType::kF64}) {
    const double lo = dt == DType::kU8 ? 0 : -100;
    Tensor x = testing::random_tensor(dt, {2, 3, 5, 4}, rng, lo, 100);
    if (dt == DType::kF64) {  // values float holds exactly
      for (int64_t i = 0; i < x.numel(); ++i) x.data<double>()[i] = static_cast<float>(x.data<double>()[i]);
    }
    Tensor x32 = Tensor::empty(DType::kF32, x.shape());
    for (int64_t i = 0; i < x.numel(); ++i) x32.data<float>()[i] = static_cast<float>(x.element_as_double(i));
    auto want = run_ref(spec, {x32});
    auto got = run_ref(spec, {x});
    ASSERT_EQ(got.size(), 2u) << dtype_name(dt);
    ASSERT_EQ(want.size(), 2u);
    ASSERT_EQ(got[0].dtype(), dt);
    for (int64_t i = 0; i < want[0].numel(); ++i) {
      EXPECT_EQ(got[0].element_as_double(i), want[0].data<float>()[i]) << dtype_name(dt) << " at " << i;
      EXPECT_EQ(got[1].data<int64_t>()[i], want[1].data<int64_t>()[i]) << dtype_name(dt) << " at " << i;
    }
  }
}

}  // namespace
}  // namespace fastserve
