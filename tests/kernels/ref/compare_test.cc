// Reference comparisons, logic and Where (kernels/ref/{compare,where}.cc)
// against element-by-element formulas with the test's own numpy
// broadcasting (elementwise_test_util.h), on random broadcast shapes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();
constexpr float kInf = std::numeric_limits<float>::infinity();

Tensor run1(const OpSpec& spec, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> out = run_ref(spec, inputs);
  if (out.size() != 1) {
    ADD_FAILURE() << spec.op_type << " returned " << out.size() << " outputs";
    return Tensor();
  }
  return out[0];
}

Tensor bools(std::vector<bool> v, Shape s) { return Tensor::from_vector<bool>(v, std::move(s)); }

// Pairs of shapes that broadcast, including scalars, size-1 dims on both
// sides, rank differences and an empty dim.
const std::vector<std::pair<Shape, Shape>> kShapePairs = {
    {Shape{2, 3}, Shape{2, 3}}, {Shape{2, 3, 4}, Shape{4}},    {Shape{}, Shape{3, 2}},
    {Shape{3, 1}, Shape{1, 5}}, {Shape{2, 1, 4}, Shape{3, 1}}, {Shape{0, 3}, Shape{1, 3}},
    {Shape{5}, Shape{}},
};

// Values in a small range so that equality happens often.
template <typename T>
Tensor small_values(const Shape& s, std::mt19937& rng) {
  Tensor t = Tensor::empty(DTypeOf<T>::value, s);
  std::uniform_int_distribution<int> dist(std::is_signed_v<T> ? -3 : 0, 3);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<T>()[i] = static_cast<T>(dist(rng));
  return t;
}

template <typename T>
Tensor expected_compare(const Tensor& a, const Tensor& b, const std::function<bool(T, T)>& fn) {
  const Shape out = broadcast_all({a.shape(), b.shape()});
  Tensor y = Tensor::empty(DType::kBool, out);
  for (int64_t i = 0; i < y.numel(); ++i) {
    y.data<bool>()[i] = fn(a.data<T>()[broadcast_offset(out, a.shape(), i)],
                           b.data<T>()[broadcast_offset(out, b.shape(), i)]);
  }
  return y;
}

template <typename T>
void check_comparisons(uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::pair<std::string, std::function<bool(T, T)>>> ops = {
      {"Equal", [](T x, T y) { return !(x < y) && !(y < x) && x == x; }},
      {"Less", [](T x, T y) { return static_cast<double>(y) - static_cast<double>(x) > 0; }},
      {"Greater", [](T x, T y) { return static_cast<double>(x) - static_cast<double>(y) > 0; }},
      {"LessOrEqual", [](T x, T y) { return !(x > y); }},
      {"GreaterOrEqual", [](T x, T y) { return !(x < y); }},
  };
  for (const auto& [op, fn] : ops) {
    for (const auto& [sa, sb] : kShapePairs) {
      const Tensor a = small_values<T>(sa, rng), b = small_values<T>(sb, rng);
      EXPECT_TRUE(
          tensors_near(run1({.op_type = op, .opset = 16}, {a, b}), expected_compare<T>(a, b, fn), 0, 0))
          << op << " " << dtype_name(DTypeOf<T>::value) << " " << sa.to_string() << " vs " << sb.to_string();
    }
  }
}

TEST(RefCompare, MatchesFormulasWithBroadcasting) {
  check_comparisons<float>(1);
  check_comparisons<double>(2);
  check_comparisons<int32_t>(3);
  check_comparisons<int64_t>(4);
  check_comparisons<int8_t>(5);
  check_comparisons<uint16_t>(6);
  check_comparisons<uint64_t>(7);
}

// f16 / bf16 compare as the floats they hold: the f32 comparison of the same
// values, NaN included.
TEST(RefCompare, HalfAndBFloat16CompareAsFloat) {
  std::mt19937 rng(9);
  for (DType dt : {DType::kF16, DType::kBF16}) {
    Tensor a32 = Tensor::empty(DType::kF32, Shape{3, 4}), b32 = Tensor::empty(DType::kF32, Shape{4});
    std::uniform_int_distribution<int> dist(-3, 3);
    for (int64_t i = 0; i < a32.numel(); ++i) a32.data<float>()[i] = 0.5f * static_cast<float>(dist(rng));
    for (int64_t i = 0; i < b32.numel(); ++i) b32.data<float>()[i] = 0.5f * static_cast<float>(dist(rng));
    a32.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
    for (const char* op : {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual"}) {
      EXPECT_TRUE(tensors_near(run1({.op_type = op, .opset = 19}, {f32_as(a32, dt), f32_as(b32, dt)}),
                               run1({.op_type = op, .opset = 19}, {a32, b32}), 0, 0))
          << op << " " << dtype_name(dt);
    }
  }
}

TEST(RefCompare, NaNComparesFalseAndSignedZerosAreEqual) {
  const Tensor a = f32({kNaN, kNaN, 1, -0.f, kInf, -kInf}, {6});
  const Tensor b = f32({kNaN, 1, kNaN, 0, kInf, 0}, {6});
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "Equal", .opset = 13}, {a, b}), bools({0, 0, 0, 1, 1, 0}, {6}), 0, 0));
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "Less", .opset = 13}, {a, b}), bools({0, 0, 0, 0, 0, 1}, {6}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "GreaterOrEqual", .opset = 16}, {a, b}),
                           bools({0, 0, 0, 1, 1, 0}, {6}), 0, 0));
  EXPECT_TRUE(tensors_near(run1({.op_type = "LessOrEqual", .opset = 16}, {a, b}),
                           bools({0, 0, 0, 1, 1, 1}, {6}), 0, 0));
}

TEST(RefCompare, EqualOnBoolAndInt64Extremes) {
  EXPECT_TRUE(
      tensors_near(run1({.op_type = "Equal", .opset = 13}, {bools({0, 1, 1, 0}, {2, 2}), bools({0, 1}, {2})}),
                   bools({1, 1, 0, 0}, {2, 2}), 0, 0));
  // Values a double cannot tell apart must still compare exactly.
  const int64_t big = (int64_t{1} << 62) + 1;
  EXPECT_TRUE(tensors_near(
      run1({.op_type = "Less", .opset = 13},
           {Tensor::from_vector<int64_t>({big - 1, big}), Tensor::from_vector<int64_t>({big, big})}),
      bools({1, 0}, {2}), 0, 0));
}

TEST(RefLogic, AndOrXorNotMatchTruthTablesWithBroadcasting) {
  std::mt19937 rng(9);
  const std::vector<std::pair<std::string, std::function<bool(bool, bool)>>> ops = {
      {"And", [](bool x, bool y) { return x ? y : false; }},
      {"Or", [](bool x, bool y) { return x ? true : y; }},
      {"Xor", [](bool x, bool y) { return x ? !y : y; }},
  };
  for (const auto& [op, fn] : ops) {
    for (const auto& [sa, sb] : kShapePairs) {
      const Tensor a = random_tensor(DType::kBool, sa, rng), b = random_tensor(DType::kBool, sb, rng);
      EXPECT_TRUE(
          tensors_near(run1({.op_type = op, .opset = 7}, {a, b}), expected_compare<bool>(a, b, fn), 0, 0))
          << op << " " << sa.to_string() << " vs " << sb.to_string();
    }
  }
  EXPECT_TRUE(tensors_near(run1({.op_type = "Not", .opset = 1}, {bools({0, 1, 1}, {3, 1})}),
                           bools({1, 0, 0}, {3, 1}), 0, 0));
}

// Where on several dtypes (one descriptor copies bytes for all).
template <typename T>
void check_where(uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<std::vector<Shape>> cases = {
      {Shape{2, 3}, Shape{2, 3}, Shape{2, 3}}, {Shape{3, 1}, Shape{1, 4}, Shape{}},
      {Shape{4}, Shape{2, 1, 4}, Shape{3, 1}}, {Shape{}, Shape{5}, Shape{5}},
      {Shape{1, 0}, Shape{3, 1}, Shape{1}},
  };
  for (const std::vector<Shape>& s : cases) {
    const Tensor c = random_tensor(DType::kBool, s[0], rng);
    const Tensor x = small_values<T>(s[1], rng), y = small_values<T>(s[2], rng);
    const Shape out = broadcast_all(s);
    Tensor want = Tensor::empty(DTypeOf<T>::value, out);
    for (int64_t i = 0; i < want.numel(); ++i) {
      want.data<T>()[i] = c.data<bool>()[broadcast_offset(out, s[0], i)]
                              ? x.data<T>()[broadcast_offset(out, s[1], i)]
                              : y.data<T>()[broadcast_offset(out, s[2], i)];
    }
    EXPECT_TRUE(tensors_near(run1({.op_type = "Where", .opset = 16}, {c, x, y}), want, 0, 0))
        << dtype_name(DTypeOf<T>::value) << " " << s[0].to_string() << s[1].to_string() << s[2].to_string();
  }
}

TEST(RefWhere, SelectsWithThreeWayBroadcastOnAnyDtype) {
  check_where<float>(21);
  check_where<int64_t>(22);
  check_where<int8_t>(23);
  check_where<uint16_t>(24);
  check_where<double>(25);
}

TEST(RefWhere, BoolBranchesAndNaNAreCopiedAsIs) {
  EXPECT_TRUE(tensors_near(
      run1({.op_type = "Where", .opset = 9}, {bools({1, 0}, {2}), bools({1, 1}, {2}), bools({0}, {1})}),
      bools({1, 0}, {2}), 0, 0));
  EXPECT_TRUE(tensors_near(
      run1({.op_type = "Where", .opset = 9}, {bools({1, 0}, {2}), f32({kNaN}, {}), f32({kInf}, {})}),
      f32({kNaN, kInf}, {2}), 0, 0));
}

}  // namespace
}  // namespace fastserve::testing::ew
