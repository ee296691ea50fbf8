// Reference Pad (kernels/ref/pad.cc) against numpy.pad's results (what the
// ONNX reference implementation calls): constant (given value and default
// 0), edge, reflect and wrap including pads wider than the dim, negative
// pads (cropping), opset 18's axes input, and non-float dtypes.
#include <gtest/gtest.h>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

Result<Tensor> pad(const Tensor& x, std::vector<int64_t> pads, const std::string& mode, int64_t opset = 13,
                   Tensor value = Tensor(), Tensor axes = Tensor()) {
  std::vector<Tensor> in = {x, i64s(std::move(pads)), value};
  if (axes.defined()) in.push_back(axes);
  FS_ASSIGN_OR_RETURN(std::vector<Tensor> out,
                      run_reference({.op_type = "Pad", .opset = opset, .attrs = {attr_string("mode", mode)}}, in));
  return out[0];
}

// [[1,2],[3,4],[5,6]] (the ONNX Pad examples' layout with integral values).
Tensor example() { return f32s({1, 2, 3, 4, 5, 6}, Shape{3, 2}); }

TEST(PadRef, ConstantWithValueAndDefault) {
  auto r = pad(f32s({1, 2, 3, 4}, Shape{2, 2}), {1, 0, 0, 1}, "constant", 13, Tensor::scalar<float>(9));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes(*r, f32s({9, 9, 9, 1, 2, 9, 3, 4, 9}, Shape{3, 3})));
  auto zero = pad(example(), {0, 2, 0, 0}, "constant");
  ASSERT_TRUE(zero.ok()) << zero.status().to_string();
  EXPECT_TRUE(same_bytes(*zero, f32s({0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 5, 6}, Shape{3, 4})));
}

TEST(PadRef, EdgeAndReflectSpecExamples) {
  auto edge = pad(example(), {0, 2, 0, 0}, "edge");
  ASSERT_TRUE(edge.ok()) << edge.status().to_string();
  EXPECT_TRUE(same_bytes(*edge, f32s({1, 1, 1, 2, 3, 3, 3, 4, 5, 5, 5, 6}, Shape{3, 4})));
  auto reflect = pad(example(), {0, 2, 0, 0}, "reflect");
  ASSERT_TRUE(reflect.ok()) << reflect.status().to_string();
  EXPECT_TRUE(same_bytes(*reflect, f32s({1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6}, Shape{3, 4})));
}

TEST(PadRef, ReflectAndWrapWiderThanTheDim) {
  const Tensor x = i64s({1, 2, 3});
  auto reflect = pad(x, {5, 5}, "reflect");
  ASSERT_TRUE(reflect.ok()) << reflect.status().to_string();
  EXPECT_TRUE(same_bytes(*reflect, i64s({2, 1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3, 2})));
  auto wrap = pad(x, {5, 5}, "wrap", 19);
  ASSERT_TRUE(wrap.ok()) << wrap.status().to_string();
  EXPECT_TRUE(same_bytes(*wrap, i64s({2, 3, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1, 2})));
  auto edge = pad(x, {2, 1}, "edge");
  ASSERT_TRUE(edge.ok());
  EXPECT_TRUE(same_bytes(*edge, i64s({1, 1, 1, 2, 3, 3})));
  auto single = pad(i64s({7}), {2, 2}, "reflect");
  ASSERT_TRUE(single.ok()) << single.status().to_string();
  EXPECT_TRUE(same_bytes(*single, i64s({7, 7, 7, 7, 7})));
}

TEST(PadRef, TwoDimReflectAndWrap) {
  // numpy.pad(a, ((2,2),(1,1)), 'reflect'); wrap with pads ((1,2),(3,1)).
  auto reflect = pad(example(), {2, 1, 2, 1}, "reflect");
  ASSERT_TRUE(reflect.ok()) << reflect.status().to_string();
  EXPECT_TRUE(same_bytes(*reflect, f32s({6, 5, 6, 5, 4, 3, 4, 3, 2, 1, 2, 1, 4, 3, 4, 3, 6, 5, 6, 5,
                                         4, 3, 4, 3, 2, 1, 2, 1},
                                        Shape{7, 4})));
  // Wrap is periodic (the spec's torus). numpy.pad agrees while a pad is at
  // most the dim; beyond that it pads side by side and stops being periodic,
  // so these values are the periodic ones: rows [r2,r0,r1,r2,r0,r1], columns
  // [c1,c0,c1,c0,c1,c0].
  auto wrap = pad(example(), {1, 3, 2, 1}, "wrap", 19);
  ASSERT_TRUE(wrap.ok()) << wrap.status().to_string();
  EXPECT_TRUE(same_bytes(*wrap, f32s({6, 5, 6, 5, 6, 5, 2, 1, 2, 1, 2, 1, 4, 3, 4, 3, 4, 3,
                                      6, 5, 6, 5, 6, 5, 2, 1, 2, 1, 2, 1, 4, 3, 4, 3, 4, 3},
                                     Shape{6, 6})));
}

TEST(PadRef, NegativePadsCrop) {
  auto r = pad(i64s({1, 2, 3, 4, 5}), {-1, -2}, "constant");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes(*r, i64s({2, 3})));
  auto mixed = pad(example(), {-1, 1, 0, 0}, "edge");  // drop row 0, one edge column in front
  ASSERT_TRUE(mixed.ok()) << mixed.status().to_string();
  EXPECT_TRUE(same_bytes(*mixed, f32s({3, 3, 4, 5, 5, 6}, Shape{2, 3})));
}

TEST(PadRef, AxesInputFromOpset18) {
  auto r = pad(f32s({1, 2, 3, 4, 5, 6}, Shape{2, 3}), {1, 1}, "constant", 18, Tensor::scalar<float>(-1), i64s({-1}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes(*r, f32s({-1, 1, 2, 3, -1, -1, 4, 5, 6, -1}, Shape{2, 5})));
}

TEST(PadRef, IntegerBoolAndHalfData) {
  auto b = pad(Tensor::from_vector<bool>({false, false}), {1, 1}, "constant", 13, Tensor::scalar<bool>(true));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_TRUE(same_bytes(*b, Tensor::from_vector<bool>({true, false, false, true})));
  auto i8 = pad(Tensor::from_vector<int8_t>({-5, 6}), {0, 2}, "constant", 13, Tensor::scalar<int8_t>(-128));
  ASSERT_TRUE(i8.ok()) << i8.status().to_string();
  EXPECT_TRUE(same_bytes(*i8, Tensor::from_vector<int8_t>({-5, 6, -128, -128})));
  Tensor h = Tensor::empty(DType::kF16, Shape{2});
  h.data<Half>()[0].bits = 0x3c00;
  h.data<Half>()[1].bits = 0x4000;
  auto hr = pad(h, {1, 0}, "reflect");
  ASSERT_TRUE(hr.ok()) << hr.status().to_string();
  const Half* y = hr->data<Half>();
  EXPECT_EQ(y[0].bits, 0x4000);
  EXPECT_EQ(y[1].bits, 0x3c00);
  EXPECT_EQ(y[2].bits, 0x4000);
}

TEST(PadRef, MismatchedConstantDtypeIsAnError) {
  auto r = pad(example(), {0, 1, 0, 0}, "constant", 13, Tensor::scalar<int64_t>(1));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node 'node0' (Pad)"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fastserve::testing
