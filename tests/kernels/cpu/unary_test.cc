// Optimized f32 activations (kernels/cpu/unary/) against the reference for
// every descriptor the host can run, at vector-tail sizes, with special
// values, plus the sigmoid/tanh/erf/gelu approximations against std:: functions.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

struct Case {
  OpSpec spec;
  double atol, rtol;
};

std::vector<Case> cases() {
  return {
      {{.op_type = "Relu", .opset = 14}, 0, 0},
      {{.op_type = "LeakyRelu", .opset = 16}, 0, 0},
      {{.op_type = "LeakyRelu", .opset = 16, .attrs = {attr_float("alpha", 0.37f)}}, 0, 0},
      {{.op_type = "Sigmoid", .opset = 13}, 1e-7, 2e-6},
      {{.op_type = "Tanh", .opset = 13}, 1e-7, 2e-6},
      {{.op_type = "HardSigmoid", .opset = 6}, 1e-7, 1e-6},
      {{.op_type = "HardSigmoid",
        .opset = 6,
        .attrs = {attr_float("alpha", 0.7f), attr_float("beta", -0.1f)}},
       1e-7,
       1e-6},
      {{.op_type = "HardSwish", .opset = 14}, 1e-6, 1e-6},
      {{.op_type = "Clip", .opset = 13}, 0, 0},
      {{.op_type = "Erf", .opset = 13}, 2e-7, 1e-6},
      {{.op_type = "Gelu", .opset = 20}, 4e-7, 1e-6},
      {{.op_type = "Gelu", .opset = 20, .attrs = {attr_string("approximate", "tanh")}}, 4e-7, 1e-6},
  };
}

TEST(CpuActivation, MatchesReferenceAtTailSizes) {
  std::mt19937 rng(1234);
  for (const Case& c : cases()) {
    for (int64_t n : kTailSizes) {
      SCOPED_TRACE(c.spec.op_type + " n=" + std::to_string(n));
      const Tensor x = random_f32({n}, rng, -8, 8);
      EXPECT_GT(expect_kernels_match_reference(c.spec, {x}, c.atol, c.rtol), 0);
    }
    SCOPED_TRACE(c.spec.op_type + " large");
    EXPECT_GT(expect_kernels_match_reference(c.spec, {random_f32({3, 33001}, rng, -8, 8)}, c.atol, c.rtol),
              0);
  }
}

TEST(CpuActivation, SpecialValuesMatchReference) {
  // NaN, infinities, signed zeros, denormals, exp's clamp points, and a tail.
  const Tensor x = f32(
      {kNaN,   kInf,   -kInf,   0.f,    -0.f,    1e-45f,      -1e-45f, 1e-8f, -1e-8f, 100.f, -100.f, 88.8f,
       -88.8f, 104.5f, -104.5f, 0.625f, -0.625f, 0.62499994f, 3.f,     -3.f,  44.f,   -44.f, 1e30f},
      {23});
  for (const Case& c : cases()) {
    SCOPED_TRACE(c.spec.op_type);
    EXPECT_GT(expect_kernels_match_reference(c.spec, {x}, c.atol, c.rtol), 0);
  }
}

TEST(CpuActivation, ClipBoundsMatchReference) {
  std::mt19937 rng(1234);
  const OpSpec clip{.op_type = "Clip", .opset = 13};
  for (int64_t n : {int64_t{17}, int64_t{4099}}) {
    const Tensor x = random_f32({n}, rng, -5, 5);
    EXPECT_GT(expect_kernels_match_reference(clip, {x, f32({-1}, {}), f32({2}, {})}, 0, 0), 0);
    EXPECT_GT(expect_kernels_match_reference(clip, {x, Tensor(), f32({0.5f}, {})}, 0, 0), 0);  // min omitted
    EXPECT_GT(expect_kernels_match_reference(clip, {x, f32({0.f}, {1})}, 0, 0), 0);  // ReLU-like, shape [1]
    EXPECT_GT(expect_kernels_match_reference(clip, {x, f32({3}, {}), f32({-3}, {})}, 0, 0), 0);  // min > max
  }
  const Tensor s = f32({kNaN, kInf, -kInf, -0.f}, {4});
  EXPECT_GT(expect_kernels_match_reference(clip, {s, f32({0}, {}), f32({6}, {})}, 0, 0), 0);
  EXPECT_GT(expect_kernels_match_reference(clip, {s}, 0, 0), 0);
}

// Inputs spanning the interesting range of sigmoid/tanh: extremes, tiny
// values (no cancellation allowed), the polynomial/exp switch of tanh at
// 0.625, and a dense sweep.
std::vector<float> approximation_inputs() {
  std::vector<float> v = {-100.f, 100.f,   -1e-8f,  1e-8f,   -1e-30f, 1e-30f, 0.f,  -0.f,
                          0.625f, -0.625f, 0.6249f, 0.6251f, 9.f,     -9.f,   20.f, -20.f,
                          50.f,   -50.f,   87.f,    -87.f,   89.f,    -89.f};
  for (int i = -4000; i <= 4000; ++i) v.push_back(static_cast<float>(i) * 0.005f);  // [-20, 20]
  return v;
}

// Runs every runnable non-reference descriptor of `op` on x.
std::vector<std::pair<std::string, Tensor>> run_optimized(const OpSpec& spec, const Tensor& x) {
  std::vector<std::pair<std::string, Tensor>> out;
  for (const KernelDesc* d : runnable_kernels(spec, {x})) {
    if (d->priority == 0) continue;
    Result<std::vector<Tensor>> r = run_kernel(*d, spec, {x});
    EXPECT_TRUE(r.ok()) << d->name;
    if (r.ok()) out.emplace_back(d->name, r.value()[0]);
  }
  return out;
}

TEST(CpuActivation, SigmoidApproximationIsAccurateToFewUlp) {
  const std::vector<float> in = approximation_inputs();
  const Tensor x = f32(in, {static_cast<int64_t>(in.size())});
  const auto results = run_optimized({.op_type = "Sigmoid", .opset = 13}, x);
  ASSERT_FALSE(results.empty());
  for (const auto& [name, y] : results) {
    SCOPED_TRACE(name);
    for (size_t i = 0; i < in.size(); ++i) {
      const double want = 1.0 / (1.0 + std::exp(-static_cast<double>(in[i])));
      const double got = y.data<float>()[i];
      // Relative 1e-6 down to the denormal range, where only absolute accuracy is possible.
      EXPECT_LE(std::fabs(got - want), 1e-6 * want + 1e-44)
          << "x=" << in[i] << " got " << got << " want " << want;
    }
  }
}

TEST(CpuActivation, TanhApproximationIsAccurateToFewUlp) {
  const std::vector<float> in = approximation_inputs();
  const Tensor x = f32(in, {static_cast<int64_t>(in.size())});
  const auto results = run_optimized({.op_type = "Tanh", .opset = 13}, x);
  ASSERT_FALSE(results.empty());
  for (const auto& [name, y] : results) {
    SCOPED_TRACE(name);
    for (size_t i = 0; i < in.size(); ++i) {
      const double want = std::tanh(static_cast<double>(in[i]));
      const double got = y.data<float>()[i];
      EXPECT_LE(std::fabs(got - want), 1e-6 * std::fabs(want))
          << "x=" << in[i] << " got " << got << " want " << want;
      EXPECT_EQ(std::signbit(got), std::signbit(in[i])) << "x=" << in[i];  // odd, including -0
    }
  }
}

// Erf within 2e-7 absolute (3 ulp at 0.5) over [-6, 6] and at the switch points; odd.
TEST(CpuActivation, ErfApproximationIsAccurate) {
  std::vector<float> in = {0.f, -0.f, 0.4999999f, 0.5f, 0.5000001f, -0.5f, 3.9999998f, 4.f, 4.0000005f, -4.f, 1e-30f};
  for (int i = -6000; i <= 6000; ++i) in.push_back(static_cast<float>(i) * 1e-3f + 3.3e-5f);
  const Tensor x = f32(in, {static_cast<int64_t>(in.size())});
  const auto results = run_optimized({.op_type = "Erf", .opset = 13}, x);
  ASSERT_FALSE(results.empty());
  for (const auto& [name, y] : results) {
    SCOPED_TRACE(name);
    for (size_t i = 0; i < in.size(); ++i) {
      const double want = std::erf(static_cast<double>(in[i]));
      const double got = y.data<float>()[i];
      EXPECT_LE(std::fabs(got - want), 2e-7 + 1e-6 * std::fabs(want) * (std::fabs(in[i]) < 0.5f))
          << "x=" << in[i] << " got " << got << " want " << want;
      EXPECT_EQ(std::signbit(got), std::signbit(in[i])) << "x=" << in[i];
    }
  }
}

// Gelu (both forms) within 2e-7 absolute plus 2e-6 relative, including the
// far negative side where the value is tiny (no 1 - (1 - erfc) loss there).
TEST(CpuActivation, GeluApproximationsAreAccurate) {
  std::vector<float> in = {-kInf, kInf, -30.f, -19.9f, -12.f, -9.f};
  for (int i = -900; i <= 900; ++i) in.push_back(static_cast<float>(i) * 1e-2f + 1.7e-4f);
  const Tensor x = f32(in, {static_cast<int64_t>(in.size())});
  for (bool tanh_form : {false, true}) {
    OpSpec spec{.op_type = "Gelu", .opset = 20};
    if (tanh_form) spec.attrs.push_back(attr_string("approximate", "tanh"));
    const auto results = run_optimized(spec, x);
    ASSERT_FALSE(results.empty());
    for (const auto& [name, y] : results) {
      SCOPED_TRACE(name);
      for (size_t i = 0; i < in.size(); ++i) {
        const double v = in[i];
        double want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
        if (tanh_form) want = 0.5 * v * (1.0 + std::tanh(std::sqrt(2.0 / 3.14159265358979323846) * (v + 0.044715 * v * v * v)));
        if (std::isinf(v)) want = v > 0 ? v : 0.0;
        const double got = y.data<float>()[i];
        if (std::isinf(want)) {
          EXPECT_EQ(got, want);
          continue;
        }
        EXPECT_LE(std::fabs(got - want), 2e-7 + 2e-6 * std::fabs(want))
            << "x=" << v << " got " << got << " want " << want;
      }
    }
  }
}

TEST(CpuActivation, NaNPropagatesThroughApproximations) {
  const Tensor x = f32({kNaN, 1.f, -kNaN}, {3});
  for (const char* op : {"Sigmoid", "Tanh", "Erf", "Gelu"}) {
    for (const auto& [name, y] : run_optimized({.op_type = op, .opset = std::string(op) == "Gelu" ? 20 : 13}, x)) {
      EXPECT_TRUE(std::isnan(y.data<float>()[0])) << name;
      EXPECT_FALSE(std::isnan(y.data<float>()[1])) << name;
      EXPECT_TRUE(std::isnan(y.data<float>()[2])) << name;
    }
  }
}

}  // namespace
}  // namespace fastserve::testing::ew
