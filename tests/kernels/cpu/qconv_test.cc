// The INT8 convolution engine (kernels/cpu/qconv/) and the other QDQ-import
// kernels against the reference kernels of kernels/ref/qdq_ops.cc on random
// shapes and values: every algorithm (depthwise, direct 1x1, im2row; AMX
// tiles and their row tails where the host has them), pads, strides,
// dilations, groups, zero points, per-tensor and per-channel weight scales,
// uint8 and int8 weights and outputs, Relu. The kernels use the
// reference's float requantization, so results are bit-identical; ONNX's
// QLinearConv reference requantizes in double and may differ by one step.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;

Tensor random_bytes(DType t, Shape s, std::mt19937& rng) {
  std::uniform_int_distribution<int> u(0, 255);
  Tensor x = Tensor::empty(t, std::move(s));
  auto* d = static_cast<uint8_t*>(x.raw_data());
  for (int64_t i = 0; i < x.numel(); ++i) d[i] = static_cast<uint8_t>(u(rng));
  return x;
}

Tensor byte_scalar(DType t, int v) {
  return t == DType::kU8 ? Tensor::scalar<uint8_t>(static_cast<uint8_t>(v)) : Tensor::scalar<int8_t>(static_cast<int8_t>(v));
}

struct ConvCase {
  int64_t n, h, w, c, m, k, stride, pad, dilation, group;
  bool per_channel = true;
  DType w_type = DType::kI8;
  bool w_zero_points = false;
  bool relu = false;
  DType y_type = DType::kU8;
};

std::string describe(const ConvCase& c) {
  return "n" + std::to_string(c.n) + " " + std::to_string(c.h) + "x" + std::to_string(c.w) + "x" + std::to_string(c.c) +
         " -> " + std::to_string(c.m) + " k" + std::to_string(c.k) + " s" + std::to_string(c.stride) + " p" +
         std::to_string(c.pad) + " d" + std::to_string(c.dilation) + " g" + std::to_string(c.group) +
         (c.per_channel ? " per-channel" : " per-tensor") + " w " + dtype_name(c.w_type) +
         (c.w_zero_points ? " w_zp" : "") + (c.relu ? " relu" : "") + " y " + dtype_name(c.y_type);
}

// QConv's inputs for a case: x NHWC, scales chosen so outputs spread over
// the 8-bit range (about 3 standard deviations of the sum per 127 steps).
std::vector<Tensor> qconv_inputs(const ConvCase& c, std::mt19937& rng, bool nchw = false) {
  const int64_t cg = c.c / c.group;
  std::vector<Tensor> in;
  in.push_back(random_bytes(DType::kU8, nchw ? Shape{c.n, c.c, c.h, c.w} : Shape{c.n, c.h, c.w, c.c}, rng));
  const float x_s = 0.02f;
  in.push_back(Tensor::scalar<float>(x_s));
  in.push_back(Tensor::scalar<uint8_t>(117));
  in.push_back(random_bytes(c.w_type, {c.m, cg, c.k, c.k}, rng));
  Tensor ws = c.per_channel ? testing::random_f32({c.m}, rng, 0.002, 0.01) : Tensor::scalar<float>(0.005f);
  in.push_back(ws);
  if (c.w_zero_points || c.w_type == DType::kU8) {
    std::uniform_int_distribution<int> z(c.w_type == DType::kU8 ? 100 : -20, c.w_type == DType::kU8 ? 156 : 20);
    Tensor zp = Tensor::empty(c.w_type, c.per_channel ? Shape{c.m} : Shape{});
    for (int64_t i = 0; i < zp.numel(); ++i) static_cast<uint8_t*>(zp.raw_data())[i] = static_cast<uint8_t>(z(rng));
    in.push_back(zp);
  } else {
    in.push_back(c.per_channel ? Tensor::empty(DType::kI8, Shape{c.m}) : byte_scalar(DType::kI8, 0));
    std::fill_n(static_cast<int8_t*>(in.back().raw_data()), in.back().numel(), int8_t{0});
  }
  const double spread = std::sqrt(static_cast<double>(cg * c.k * c.k)) * 128.0 * 74.0 * x_s * 0.006 * 3.0 / 127.0;
  in.push_back(Tensor::scalar<float>(static_cast<float>(spread)));
  in.push_back(byte_scalar(c.y_type, c.y_type == DType::kU8 ? 128 : 3));
  Tensor bias = Tensor::empty(DType::kI32, Shape{c.m});
  std::uniform_int_distribution<int> b(-20000, 20000);
  for (int64_t i = 0; i < c.m; ++i) bias.data<int32_t>()[i] = b(rng);
  in.push_back(bias);
  return in;
}

std::vector<Attribute> conv_attrs(const ConvCase& c) {
  std::vector<Attribute> a = {attr_ints("kernel_shape", {c.k, c.k}), attr_ints("strides", {c.stride, c.stride}),
                              attr_ints("pads", {c.pad, c.pad, c.pad, c.pad}),
                              attr_ints("dilations", {c.dilation, c.dilation}), attr_int("group", c.group)};
  return a;
}

const std::vector<ConvCase>& conv_cases() {
  static const std::vector<ConvCase> cases = {
      // direct 1x1: K = 64 (AMX), rows 3 x 7 x 5 = 105 (a 16-row tail)
      {3, 7, 5, 64, 96, 1, 1, 0, 1, 1},
      {1, 9, 9, 64, 160, 1, 1, 0, 1, 1, false},               // two column chunks, per-tensor w
      {1, 6, 6, 40, 33, 1, 1, 0, 1, 1},                        // K = 40: VNNI, N tail
      {2, 9, 8, 64, 64, 1, 2, 0, 1, 1},                        // strided 1x1: im2row
      {1, 13, 11, 64, 64, 3, 1, 1, 1, 1, true, DType::kI8, false, true},  // ResNet 3x3 + Relu
      {1, 17, 19, 3, 64, 7, 2, 3, 1, 1},                       // the stem: K = 147 padded to 192
      {2, 10, 10, 16, 24, 3, 2, 1, 2, 1},                      // dilation 2
      {1, 8, 8, 32, 48, 3, 1, 1, 1, 4},                        // groups (not depthwise)
      {2, 9, 7, 24, 24, 3, 1, 1, 1, 24},                       // depthwise
      {1, 12, 12, 32, 32, 3, 2, 1, 1, 32, true, DType::kI8, true, true},  // depthwise, strided, w_zp, Relu
      {1, 6, 7, 64, 40, 3, 1, 1, 1, 1, true, DType::kU8},      // uint8 weights (shifted by 128)
      {1, 5, 5, 64, 64, 3, 1, 1, 1, 1, true, DType::kI8, true},  // per-channel int8 weight zero points
      {1, 7, 7, 64, 70, 3, 1, 1, 1, 1, true, DType::kI8, false, false, DType::kI8},  // int8 output
      {1, 1, 1, 64, 32, 1, 1, 0, 1, 1},                        // one pixel
  };
  return cases;
}

TEST(QConvCpu, EveryAlgorithmMatchesTheReferenceBitForBit) {
  std::mt19937 rng(501);
  for (const ConvCase& c : conv_cases()) {
    SCOPED_TRACE(describe(c));
    testing::OpSpec spec{"QConv", 1, conv_attrs(c), 1, "fastserve"};
    if (c.relu) spec.attrs.push_back(attr_string("activation", "Relu"));
    EXPECT_GE(testing::expect_kernels_match_reference(spec, qconv_inputs(c, rng), 0, 0), 1);
  }
}

TEST(QConvCpu, OutputsSpreadOverTheRange) {
  // Guards the test above against comparing saturated outputs only.
  std::mt19937 rng(502);
  const ConvCase c = conv_cases()[4];
  testing::OpSpec spec{"QConv", 1, conv_attrs(c), 1, "fastserve"};
  const std::vector<Tensor> in = qconv_inputs(c, rng);
  auto y = testing::run_kernel(*testing::reference_kernel(spec, in), spec, in);
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  int64_t inside = 0;
  for (int64_t i = 0; i < (*y)[0].numel(); ++i) {
    const uint8_t v = (*y)[0].data<uint8_t>()[i];
    inside += v > 128 && v < 255;
  }
  EXPECT_GT(inside, (*y)[0].numel() / 4);
}

TEST(QConvCpu, SamePaddingAndAFusedConvWithoutBias) {
  std::mt19937 rng(503);
  ConvCase c{1, 9, 10, 64, 64, 3, 2, 0, 1, 1};
  std::vector<Tensor> in = qconv_inputs(c, rng);
  in.pop_back();  // no B
  testing::OpSpec spec{"QConv", 1, {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}),
                                    attr_string("auto_pad", "SAME_UPPER")}, 1, "fastserve"};
  EXPECT_GE(testing::expect_kernels_match_reference(spec, in, 0, 0), 1);
}

TEST(QConvCpu, WrongChannelCountIsAnErrorNamingTheNode) {
  std::mt19937 rng(504);
  ConvCase c{1, 5, 5, 64, 32, 1, 1, 0, 1, 1};
  std::vector<Tensor> in = qconv_inputs(c, rng);
  testing::OpSpec spec{"QConv", 1, conv_attrs(c), 1, "fastserve"};
  for (const KernelDesc* d : testing::runnable_kernels(spec, in)) {
    std::vector<Tensor> bad = in;
    bad[0] = random_bytes(DType::kU8, {1, 5, 5, 48}, rng);
    auto y = testing::run_kernel(*d, spec, bad);
    EXPECT_FALSE(y.ok()) << d->name;
    if (!y.ok()) {
      EXPECT_NE(y.status().message().find("node0"), std::string::npos) << y.status().to_string();
    }
  }
}

TEST(QLinearConvCpu, NchwWrapperIsWithinOneStepOfTheOnnxReference) {
  std::mt19937 rng(505);
  for (const ConvCase& c : conv_cases()) {
    if (c.relu || c.y_type != DType::kU8 || (c.w_zero_points && c.w_type == DType::kI8)) continue;
    SCOPED_TRACE(describe(c));
    testing::OpSpec spec{"QLinearConv", 10, conv_attrs(c)};
    EXPECT_GE(testing::expect_kernels_match_reference(spec, qconv_inputs(c, rng, /*nchw=*/true), 1.0, 0), 1);
  }
}

TEST(QAddCpu, MatchesTheReferenceBitForBit) {
  std::mt19937 rng(506);
  for (int64_t n : {1, 15, 16, 33, 50000}) {
    for (bool relu : {false, true}) {
      for (DType t : {DType::kU8, DType::kI8}) {
        SCOPED_TRACE(std::to_string(n) + (relu ? " relu " : " ") + dtype_name(t));
        const std::vector<Tensor> in = {random_bytes(t, {1, n}, rng), Tensor::scalar<float>(0.031f), byte_scalar(t, 7),
                                        random_bytes(t, {1, n}, rng), Tensor::scalar<float>(0.017f), byte_scalar(t, -3),
                                        Tensor::scalar<float>(0.04f), byte_scalar(t, 11)};
        testing::OpSpec spec{"QAdd", 1, {}, 1, "fastserve"};
        if (relu) spec.attrs.push_back(attr_string("activation", "Relu"));
        EXPECT_GE(testing::expect_kernels_match_reference(spec, in, 0, 0), 1);
      }
    }
  }
}

TEST(MaxPoolNhwcCpu, MatchesTheReference) {
  std::mt19937 rng(507);
  struct Case {
    Shape x;
    int64_t k, s, p;
  };
  for (const Case& c : {Case{{1, 9, 9, 64}, 3, 2, 1}, Case{{2, 8, 7, 5}, 2, 2, 0}, Case{{1, 6, 6, 16}, 3, 1, 1}}) {
    for (DType t : {DType::kU8, DType::kI8}) {
      SCOPED_TRACE(c.x.to_string() + " " + dtype_name(t));
      testing::OpSpec spec{"MaxPoolNhwc", 1,
                           {attr_ints("kernel_shape", {c.k, c.k}), attr_ints("strides", {c.s, c.s}),
                            attr_ints("pads", {c.p, c.p, c.p, c.p})},
                           1, "fastserve"};
      EXPECT_GE(testing::expect_kernels_match_reference(spec, {random_bytes(t, c.x, rng)}, 0, 0), 1);
    }
  }
}

TEST(QGlobalAveragePoolCpu, MatchesTheReference) {
  std::mt19937 rng(508);
  for (const Shape& s : {Shape{1, 7, 7, 2048}, Shape{3, 4, 5, 17}}) {
    SCOPED_TRACE(s.to_string());
    const std::vector<Tensor> in = {random_bytes(DType::kU8, s, rng), Tensor::scalar<float>(0.05f),
                                    Tensor::scalar<uint8_t>(9), Tensor::scalar<float>(0.03f), Tensor::scalar<uint8_t>(4)};
    testing::OpSpec spec{"QGlobalAveragePool", 1, {}, 1, "fastserve"};
    EXPECT_GE(testing::expect_kernels_match_reference(spec, in, 0, 0), 1);
  }
}

TEST(QuantizeLinearCpu, PerTensorIsBitIdenticalToTheReference) {
  std::mt19937 rng(509);
  for (int64_t n : {1, 17, 70001}) {
    for (DType t : {DType::kU8, DType::kI8}) {
      SCOPED_TRACE(std::to_string(n) + " " + dtype_name(t));
      Tensor x = testing::random_f32({n}, rng, -9.0, 9.0);
      x.data<float>()[0] = std::numeric_limits<float>::quiet_NaN();
      if (n > 2) {
        x.data<float>()[1] = std::numeric_limits<float>::infinity();
        x.data<float>()[2] = 0.125f;  // exactly halfway at scale 0.05: 2.5 -> 2
      }
      const std::vector<Tensor> in = {x, Tensor::scalar<float>(0.05f), byte_scalar(t, t == DType::kU8 ? 100 : -4)};
      EXPECT_GE(testing::expect_kernels_match_reference(testing::OpSpec{"QuantizeLinear", 13}, in, 0, 0), 1);
    }
  }
}

}  // namespace
}  // namespace fastserve
