#include "fastserve/tensor.h"

#include <gtest/gtest.h>

#include <cstdint>

namespace fastserve {
namespace {

TEST(Shape, NumelStaticAndToString) {
  EXPECT_EQ(Shape({2, 3, 4}).numel(), 24);
  EXPECT_EQ(Shape().numel(), 1);  // scalar
  EXPECT_EQ(Shape({5, 0, 3}).numel(), 0);
  EXPECT_TRUE(Shape({1, 2}).is_static());
  EXPECT_FALSE(Shape({kUnknownDim, 2}).is_static());
  EXPECT_EQ(Shape({1, 3, 224, 224}).to_string(), "[1,3,224,224]");
  EXPECT_EQ(Shape({kUnknownDim, 10}).to_string(), "[?,10]");
  EXPECT_EQ(Shape().to_string(), "[]");
}

TEST(Shape, NormalizeAxisAcceptsNegativeAndRejectsOutOfRange) {
  EXPECT_EQ(*normalize_axis(-1, 4), 3);
  EXPECT_EQ(*normalize_axis(-4, 4), 0);
  EXPECT_EQ(*normalize_axis(2, 4), 2);
  Result<int64_t> bad = normalize_axis(4, 4);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("axis 4"), std::string::npos);
  EXPECT_FALSE(normalize_axis(-5, 4).ok());
  EXPECT_FALSE(normalize_axis(0, 0).ok());
}

TEST(Tensor, ZerosIsAlignedAndZeroed) {
  Tensor t = Tensor::zeros(DType::kF32, Shape{3, 5});
  EXPECT_EQ(t.numel(), 15);
  EXPECT_EQ(t.nbytes(), 60u);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(t.raw_data()) % 64, 0u);
  for (int i = 0; i < 15; ++i) EXPECT_EQ(t.data<float>()[i], 0.f);
  Tensor e = Tensor::empty(DType::kI8, Shape{7});
  EXPECT_EQ(reinterpret_cast<uintptr_t>(e.raw_data()) % 64, 0u);
}

TEST(Tensor, ZeroSizeTensorsWork) {
  Tensor t = Tensor::zeros(DType::kF32, Shape{0, 4});
  EXPECT_TRUE(t.defined());
  EXPECT_EQ(t.numel(), 0);
  EXPECT_EQ(t.nbytes(), 0u);
  Tensor c = t.clone();
  EXPECT_EQ(c.shape(), Shape({0, 4}));
  Tensor r = t.reshaped(Shape{4, 0, 2});
  EXPECT_EQ(r.numel(), 0);
  EXPECT_EQ(t.to_string(), "float32[0,4]");
}

TEST(Tensor, ReshapedSharesDataCloneCopies) {
  Tensor t = Tensor::from_vector<float>({1, 2, 3, 4, 5, 6}, Shape{2, 3});
  Tensor r = t.reshaped(Shape{3, 2});
  EXPECT_EQ(r.raw_data(), t.raw_data());
  EXPECT_EQ(r.shape(), Shape({3, 2}));
  Tensor c = t.clone();
  EXPECT_NE(c.raw_data(), t.raw_data());
  c.data<float>()[0] = 100.f;
  EXPECT_EQ(t.data<float>()[0], 1.f);
  EXPECT_EQ(c.data<float>()[5], 6.f);
}

TEST(Tensor, WrapKeepsOwnerAlive) {
  auto buf = std::make_shared<std::vector<int32_t>>(std::vector<int32_t>{7, 8, 9});
  std::weak_ptr<std::vector<int32_t>> weak = buf;
  Tensor t = Tensor::wrap(DType::kI32, Shape{3}, buf->data(), buf);
  buf.reset();
  EXPECT_FALSE(weak.expired());
  EXPECT_EQ(t.data<int32_t>()[2], 9);
  t = Tensor();
  EXPECT_TRUE(weak.expired());
}

TEST(Tensor, ElementAccessConvertsEveryNumericDType) {
  EXPECT_EQ(Tensor::from_vector<float>({1.5f, -2.f}).element_as_double(1), -2.0);
  EXPECT_EQ(Tensor::from_vector<double>({0.25}).element_as_double(0), 0.25);
  EXPECT_EQ(Tensor::from_vector<uint8_t>({255}).element_as_int64(0), 255);
  EXPECT_EQ(Tensor::from_vector<int8_t>({-128}).element_as_int64(0), -128);
  EXPECT_EQ(Tensor::from_vector<uint16_t>({65535}).element_as_int64(0), 65535);
  EXPECT_EQ(Tensor::from_vector<int16_t>({-300}).element_as_int64(0), -300);
  EXPECT_EQ(Tensor::from_vector<int32_t>({-70000}).element_as_int64(0), -70000);
  EXPECT_EQ(Tensor::from_vector<int64_t>({INT64_MIN + 1}).element_as_int64(0), INT64_MIN + 1);
  EXPECT_EQ(Tensor::from_vector<uint32_t>({4000000000u}).element_as_int64(0), 4000000000LL);
  EXPECT_EQ(Tensor::from_vector<uint64_t>({UINT64_MAX}).element_as_int64(0), INT64_MAX);
  EXPECT_EQ(Tensor::from_vector<bool>({false, true}).element_as_int64(1), 1);
  EXPECT_EQ(Tensor::from_vector<bool>({false, true}).element_as_double(0), 0.0);
  EXPECT_EQ(Tensor::from_vector<Half>({Half{0x3e00}}).element_as_double(0), 1.5);  // 1.5 in f16
  EXPECT_EQ(Tensor::from_vector<BFloat16>({BFloat16{0xc040}}).element_as_double(0), -3.0);
  EXPECT_EQ(Tensor::from_vector<float>({-2.7f}).element_as_int64(0), -2);  // truncates
  EXPECT_EQ(Tensor::from_vector<float>({1e30f}).element_as_int64(0), INT64_MAX);
}

TEST(Tensor, ToInt64VectorAcceptsOnlyIntegerVectorsAndScalars) {
  Result<std::vector<int64_t>> v = Tensor::from_vector<int32_t>({3, -1, 0}).to_int64_vector();
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<int64_t>{3, -1, 0}));
  Result<std::vector<int64_t>> s = Tensor::scalar<int64_t>(9).to_int64_vector();
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, std::vector<int64_t>{9});
  EXPECT_TRUE(Tensor::zeros(DType::kI64, Shape{0}).to_int64_vector().ok());
  Result<std::vector<int64_t>> f = Tensor::from_vector<float>({1.f}).to_int64_vector();
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.status().message().find("float32[1]"), std::string::npos);
  EXPECT_FALSE(Tensor::zeros(DType::kI64, Shape{2, 2}).to_int64_vector().ok());
}

TEST(Tensor, ToStringNamesDTypeAndShape) {
  EXPECT_EQ(Tensor::zeros(DType::kF32, Shape{1, 3, 224, 224}).to_string(), "float32[1,3,224,224]");
  EXPECT_EQ(Tensor::scalar<int64_t>(1).to_string(), "int64[]");
  EXPECT_EQ(Tensor().to_string(), "undefined");
  EXPECT_FALSE(Tensor().defined());
}

TEST(TensorDeathTest, TypedAccessWithWrongDTypeNamesBoth) {
  Tensor t = Tensor::zeros(DType::kF32, Shape{2});
  EXPECT_DEATH((void)t.data<int64_t>(), "tensor is float32, accessed as int64");
}

TEST(TensorDeathTest, ReshapeMustKeepNumel) {
  Tensor t = Tensor::zeros(DType::kF32, Shape{2, 3});
  EXPECT_DEATH((void)t.reshaped(Shape{4}), "check failed");
}

}  // namespace
}  // namespace fastserve
