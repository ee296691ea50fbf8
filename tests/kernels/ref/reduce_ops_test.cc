// Reference ReduceSum/Max/Min/Prod/L1/L2/SumSquare/LogSum/LogSumExp and
// ArgMax/ArgMin (kernels/ref/reduce.cc, argmax.cc) against formulas written
// here: every input element is bucketed by its kept coordinates and each
// bucket is reduced with the op's textbook definition. Covers the axes
// attribute (before opset 18; ReduceSum 13) and input forms, negative axes,
// keepdims, reduce-all, noop_with_empty_axes, empty tensors, integers.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

using Bucket = std::vector<double>;
using Formula = std::function<double(const Bucket&)>;

double sum_of(const Bucket& b) { return std::accumulate(b.begin(), b.end(), 0.0); }

// Straight from the ONNX operator definitions.
Formula formula(const std::string& op) {
  if (op == "ReduceSum") return sum_of;
  if (op == "ReduceMax")
    return [](const Bucket& b) { return b.empty() ? -INFINITY : *std::max_element(b.begin(), b.end()); };
  if (op == "ReduceMin")
    return [](const Bucket& b) { return b.empty() ? INFINITY : *std::min_element(b.begin(), b.end()); };
  if (op == "ReduceProd")
    return [](const Bucket& b) { return std::accumulate(b.begin(), b.end(), 1.0, std::multiplies<>()); };
  if (op == "ReduceL1") return [](const Bucket& b) { double s = 0; for (double v : b) s += std::fabs(v); return s; };
  if (op == "ReduceL2") return [](const Bucket& b) { double s = 0; for (double v : b) s += v * v; return std::sqrt(s); };
  if (op == "ReduceSumSquare") return [](const Bucket& b) { double s = 0; for (double v : b) s += v * v; return s; };
  if (op == "ReduceLogSum") return [](const Bucket& b) { return std::log(sum_of(b)); };
  // ReduceLogSumExp: the naive formula (inputs here are small enough).
  return [](const Bucket& b) { double s = 0; for (double v : b) s += std::exp(v); return std::log(s); };
}

// Buckets of x's elements by kept coordinates; `keep_shape` gets the output shape.
std::vector<Bucket> buckets(const Tensor& x, const std::set<size_t>& axes, bool keepdims, Shape& out_shape) {
  std::vector<int64_t> dims;
  int64_t n_out = 1;
  for (size_t d = 0; d < x.rank(); ++d) {
    if (!axes.count(d)) {
      dims.push_back(x.dim(d));
      n_out *= x.dim(d);
    } else if (keepdims) {
      dims.push_back(1);
    }
  }
  out_shape = Shape(dims);
  std::vector<Bucket> b(static_cast<size_t>(n_out));
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t rest = i, key = 0, mul = 1;
    for (size_t d = x.rank(); d-- > 0;) {
      const int64_t c = rest % x.dim(d);
      rest /= x.dim(d);
      if (!axes.count(d)) {
        key += c * mul;
        mul *= x.dim(d);
      }
    }
    b[static_cast<size_t>(key)].push_back(x.element_as_double(i));
  }
  return b;
}

Tensor naive_reduce(const std::string& op, const Tensor& x, const std::set<size_t>& axes, bool keepdims) {
  Shape s;
  const std::vector<Bucket> b = buckets(x, axes, keepdims, s);
  Tensor y = Tensor::zeros(x.dtype(), s);
  const Formula f = formula(op);
  for (size_t o = 0; o < b.size(); ++o) {
    const double v = f(b[o]);
    switch (x.dtype()) {
      case DType::kF32:
        y.data<float>()[o] = static_cast<float>(v);
        break;
      case DType::kF64:
        y.data<double>()[o] = v;
        break;
      case DType::kF16:
        y.data<Half>()[o].bits = float_to_half(static_cast<float>(v));
        break;
      case DType::kBF16:
        y.data<BFloat16>()[o].bits = float_to_bf16(static_cast<float>(v));
        break;
      case DType::kI32:
        y.data<int32_t>()[o] = static_cast<int32_t>(v);
        break;
      case DType::kI8:
        y.data<int8_t>()[o] = static_cast<int8_t>(v);
        break;
      case DType::kU8:
        y.data<uint8_t>()[o] = static_cast<uint8_t>(v);
        break;
      case DType::kU32:
        y.data<uint32_t>()[o] = static_cast<uint32_t>(v);
        break;
      case DType::kU64:
        y.data<uint64_t>()[o] = static_cast<uint64_t>(v);
        break;
      case DType::kBool:
        y.data<bool>()[o] = v != 0;
        break;
      default:
        y.data<int64_t>()[o] = static_cast<int64_t>(v);
        break;
    }
  }
  return y;
}

const std::vector<std::string> kFloatOps = {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd",     "ReduceL1",
                                            "ReduceL2",  "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"};

// First opset where the axes are an input.
int64_t input_opset(const std::string& op) { return op == "ReduceSum" ? 13 : 18; }

// Inputs keeping every formula finite and well conditioned: LogSum needs a
// positive sum, Prod moderate factors.
Tensor random_input(const std::string& op, Shape s, std::mt19937& rng) {
  if (op == "ReduceLogSum" || op == "ReduceProd") return random_f32(std::move(s), rng, 0.5, 1.5);
  return random_f32(std::move(s), rng, -3, 3);
}

TEST(RefReduceOps, MatchFormulasForAxisSetsInBothOpsetForms) {
  std::mt19937 rng(77);
  const std::vector<std::vector<int64_t>> axis_sets = {{}, {0}, {2}, {-1}, {1, 2}, {-3, 1}, {0, 1, 2}};
  for (const std::string& op : kFloatOps) {
    const Tensor x = random_input(op, {3, 4, 5}, rng);
    for (const auto& axes : axis_sets) {
      std::set<size_t> norm;
      for (int64_t a : axes) norm.insert(static_cast<size_t>(a < 0 ? a + 3 : a));
      if (axes.empty()) norm = {0, 1, 2};
      for (int keep : {0, 1}) {
        SCOPED_TRACE(::testing::Message() << op << " axes " << ::testing::PrintToString(axes) << " keepdims " << keep);
        const Tensor expected = naive_reduce(op, x, norm, keep != 0);
        std::vector<Attribute> attrs = {attr_int("keepdims", keep)};
        if (!axes.empty()) attrs.push_back(attr_ints("axes", axes));
        const std::vector<Tensor> old = run_ref({.op_type = op, .opset = 11, .attrs = attrs}, {x});
        ASSERT_EQ(old.size(), 1u);
        EXPECT_TRUE(tensors_near(old[0], expected, 1e-5, 1e-5));
        std::vector<Tensor> ins = {x};
        if (!axes.empty()) ins.push_back(Tensor::from_vector<int64_t>(axes));
        const std::vector<Tensor> neu =
            run_ref({.op_type = op, .opset = input_opset(op), .attrs = {attr_int("keepdims", keep)}}, ins);
        ASSERT_EQ(neu.size(), 1u);
        EXPECT_TRUE(tensors_near(neu[0], expected, 1e-5, 1e-5));
      }
    }
  }
}

TEST(RefReduceOps, LogSumExpIsStableForLargeInputs) {
  const Tensor x = f32({1000, 1000, -1000, 999}, {2, 2});
  const std::vector<Tensor> y = run_ref(
      {.op_type = "ReduceLogSumExp", .opset = 13, .attrs = {attr_ints("axes", {1}), attr_int("keepdims", 0)}}, {x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({1000 + std::log(2.0f), 999}, {2}), 1e-3, 1e-6));
}

TEST(RefReduceOps, EmptySetGivesIdentity) {
  // Reducing the zero-sized axis of [2, 0, 4] over axis 1 with keepdims: [2, 1, 4].
  const Tensor x = f32({}, {2, 0, 4});
  const std::vector<std::pair<std::string, float>> cases = {
      {"ReduceSum", 0.0f},          {"ReduceProd", 1.0f},         {"ReduceMax", -INFINITY},
      {"ReduceMin", INFINITY},      {"ReduceL1", 0.0f},           {"ReduceL2", 0.0f},
      {"ReduceSumSquare", 0.0f},    {"ReduceLogSum", -INFINITY},  {"ReduceLogSumExp", -INFINITY}};
  for (const auto& [op, value] : cases) {
    SCOPED_TRACE(op);
    const std::vector<Tensor> y = run_ref({.op_type = op, .opset = 18}, {x, Tensor::from_vector<int64_t>({1})});
    ASSERT_EQ(y.size(), 1u);
    ASSERT_EQ(y[0].shape(), (Shape{2, 1, 4}));
    for (int64_t i = 0; i < y[0].numel(); ++i) EXPECT_EQ(y[0].data<float>()[i], value);
  }
  // Reducing a non-zero axis of an empty tensor gives an empty output.
  const std::vector<Tensor> e = run_ref({.op_type = "ReduceSum", .opset = 13}, {x, Tensor::from_vector<int64_t>({2})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].shape(), (Shape{2, 0, 1}));
}

TEST(RefReduceOps, NoopWithEmptyAxesAppliesTheElementTransform) {
  // With no axes reduced each output "reduces" one element: L1 gives |x|,
  // SumSquare x^2, Sum x (the ONNX reference: np.sum(np.square(x), axis=())).
  const Tensor x = f32({-2, 3}, {2});
  const std::vector<std::pair<std::string, std::vector<float>>> cases = {
      {"ReduceSum", {-2, 3}}, {"ReduceL1", {2, 3}}, {"ReduceSumSquare", {4, 9}}, {"ReduceMax", {-2, 3}}};
  for (const auto& [op, want] : cases) {
    SCOPED_TRACE(op);
    const OpSpec spec{.op_type = op, .opset = 18, .attrs = {attr_int("noop_with_empty_axes", 1)}};
    const std::vector<Tensor> omitted = run_ref(spec, {x});
    ASSERT_EQ(omitted.size(), 1u);
    EXPECT_TRUE(tensors_near(omitted[0], f32(want, {2}), 0, 0));
    const std::vector<Tensor> empty = run_ref(spec, {x, Tensor::from_vector<int64_t>({})});
    ASSERT_EQ(empty.size(), 1u);
    EXPECT_TRUE(tensors_near(empty[0], f32(want, {2}), 0, 0));
  }
  // Without the flag an empty axes input reduces everything.
  const std::vector<Tensor> all = run_ref({.op_type = "ReduceSum", .opset = 13}, {x, Tensor::from_vector<int64_t>({})});
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(tensors_near(all[0], f32({1}, {1}), 0, 0));
}

TEST(RefReduceOps, MaxMinPropagateNaN) {
  const Tensor x = f32({1, NAN, 3, 4}, {2, 2});
  for (const char* op : {"ReduceMax", "ReduceMin"}) {
    const std::vector<Tensor> y =
        run_ref({.op_type = op, .opset = 13, .attrs = {attr_ints("axes", {1}), attr_int("keepdims", 0)}}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(std::isnan(y[0].data<float>()[0])) << op;
    EXPECT_EQ(y[0].data<float>()[1], std::string(op) == "ReduceMax" ? 4.0f : 3.0f);
  }
}

TEST(RefReduceOps, IntegerSumMaxMinProdMatchFormulas) {
  std::mt19937 rng(5);
  for (DType dt : {DType::kI32, DType::kI64}) {
    const Tensor x = random_tensor(dt, {4, 3, 2}, rng, -4, 4);
    for (const char* op : {"ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd"}) {
      for (const std::vector<int64_t>& axes : std::vector<std::vector<int64_t>>{{1}, {0, -1}, {}}) {
        SCOPED_TRACE(::testing::Message() << op << " " << dtype_name(dt) << " " << ::testing::PrintToString(axes));
        std::set<size_t> norm;
        for (int64_t a : axes) norm.insert(static_cast<size_t>(a < 0 ? a + 3 : a));
        if (axes.empty()) norm = {0, 1, 2};
        std::vector<Attribute> attrs = {attr_int("keepdims", 0)};
        if (!axes.empty()) attrs.push_back(attr_ints("axes", axes));
        const std::vector<Tensor> y = run_ref({.op_type = op, .opset = 12, .attrs = attrs}, {x});
        ASSERT_EQ(y.size(), 1u);
        EXPECT_TRUE(tensors_near(y[0], naive_reduce(op, x, norm, false), 0, 0));
      }
    }
  }
  // Empty integer Max / Min: the type's lowest / highest value.
  const Tensor e = Tensor::from_vector<int32_t>({}, Shape{0});
  const std::vector<Tensor> mx = run_ref({.op_type = "ReduceMax", .opset = 13}, {e});
  ASSERT_EQ(mx.size(), 1u);
  EXPECT_EQ(mx[0].data<int32_t>()[0], std::numeric_limits<int32_t>::lowest());
}

// f64, f16 and bf16 run the same formulas; 16-bit results are the double
// result rounded once (within one ulp: the store goes through float).
TEST(RefReduceOps, FloatOpsOnDoubleHalfAndBFloat16) {
  std::mt19937 rng(8);
  for (DType dt : {DType::kF64, DType::kF16, DType::kBF16}) {
    const double rtol = dt == DType::kF64 ? 1e-12 : (dt == DType::kF16 ? 1e-3 : 8e-3);
    for (const std::string& op : kFloatOps) {
      const Tensor x32 = random_input(op, {3, 4, 2}, rng);
      Tensor x = Tensor::empty(dt, x32.shape());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const float v = x32.data<float>()[i];
        if (dt == DType::kF64) x.data<double>()[i] = v;
        if (dt == DType::kF16) x.data<Half>()[i].bits = float_to_half(v);
        if (dt == DType::kBF16) x.data<BFloat16>()[i].bits = float_to_bf16(v);
      }
      const std::vector<Tensor> y =
          run_ref({.op_type = op, .opset = 12, .attrs = {attr_ints("axes", {0, 2})}}, {x});
      ASSERT_EQ(y.size(), 1u) << op;
      EXPECT_TRUE(tensors_near(y[0], naive_reduce(op, x, {0, 2}, true), 1e-12, rtol))
          << op << " " << dtype_name(dt);
    }
  }
}

// ReduceMax / ReduceMin on the 8-bit, unsigned 32/64-bit and (opset 20)
// bool inputs: bool Max is "any", Min "all"; an empty bool Max is false.
TEST(RefReduceOps, MaxMinOnNarrowUnsignedAndBool) {
  std::mt19937 rng(6);
  for (DType dt : {DType::kI8, DType::kU8, DType::kU32, DType::kU64, DType::kBool}) {
    const Tensor x = random_tensor(dt, {4, 3, 2}, rng, -100, 100);
    for (const char* op : {"ReduceMax", "ReduceMin"}) {
      const std::vector<Tensor> y = run_ref({.op_type = op, .opset = 20, .attrs = {attr_int("keepdims", 0)}},
                                            {x, Tensor::from_vector<int64_t>({1})});
      ASSERT_EQ(y.size(), 1u) << op;
      EXPECT_TRUE(tensors_near(y[0], naive_reduce(op, x, {1}, false), 0, 0)) << op << " " << dtype_name(dt);
    }
  }
  const uint64_t big = 0xF000000000000000ull;
  const std::vector<Tensor> m =
      run_ref({.op_type = "ReduceMax", .opset = 20}, {Tensor::from_vector<uint64_t>({1, big, 3})});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_EQ(m[0].data<uint64_t>()[0], big);
  const std::vector<Tensor> e =
      run_ref({.op_type = "ReduceMax", .opset = 20},
              {Tensor::empty(DType::kBool, Shape{2, 0}), Tensor::from_vector<int64_t>({1})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_TRUE(tensors_near(e[0], Tensor::from_vector<bool>({false, false}, Shape{2, 1}), 0, 0));
}

TEST(RefReduceOps, ReduceSumOpset11To12TakesAxesAttribute) {
  const Tensor x = f32({1, 2, 3, 4, 5, 6}, {2, 3});
  const std::vector<Tensor> y =
      run_ref({.op_type = "ReduceSum", .opset = 12, .attrs = {attr_ints("axes", {-1}), attr_int("keepdims", 0)}}, {x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({6, 15}, {2}), 0, 0));
  // ReduceMax still reads the attribute at opset 17.
  const std::vector<Tensor> m = run_ref({.op_type = "ReduceMax", .opset = 17, .attrs = {attr_ints("axes", {0})}}, {x});
  ASSERT_EQ(m.size(), 1u);
  EXPECT_TRUE(tensors_near(m[0], f32({4, 5, 6}, {1, 3}), 0, 0));
}

// ---- ArgMax / ArgMin ----

Tensor naive_arg(const Tensor& x, int64_t axis, bool keepdims, bool is_max, bool last) {
  const auto rank = static_cast<int64_t>(x.rank());
  const int64_t a = axis < 0 ? axis + rank : axis;
  std::vector<int64_t> dims;
  for (int64_t i = 0; i < rank; ++i) {
    if (i != a) dims.push_back(x.dim(static_cast<size_t>(i)));
    else if (keepdims) dims.push_back(1);
  }
  Tensor y = Tensor::zeros(DType::kI64, Shape(dims));
  int64_t outer = 1, inner = 1;
  for (int64_t i = 0; i < a; ++i) outer *= x.dim(static_cast<size_t>(i));
  for (int64_t i = a + 1; i < rank; ++i) inner *= x.dim(static_cast<size_t>(i));
  const int64_t d = x.dim(static_cast<size_t>(a));
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      std::vector<double> col;
      for (int64_t j = 0; j < d; ++j) col.push_back(x.element_as_double((o * d + j) * inner + i));
      const double ext = is_max ? *std::max_element(col.begin(), col.end()) : *std::min_element(col.begin(), col.end());
      int64_t pick = -1;
      for (int64_t j = 0; j < d; ++j) {
        if (col[static_cast<size_t>(j)] == ext && (pick < 0 || last)) pick = j;
      }
      y.data<int64_t>()[o * inner + i] = pick;
    }
  }
  return y;
}

TEST(RefArgMaxMin, MatchFormulaWithTiesAndSelectLastIndex) {
  std::mt19937 rng(9);
  for (DType dt : {DType::kF32, DType::kI32, DType::kI64}) {
    // Few distinct values: plenty of ties.
    const Tensor x = random_tensor(dt, {3, 5, 4}, rng, -2, 2);
    Tensor xr = x;
    if (dt == DType::kF32) {
      xr = Tensor::empty(DType::kF32, x.shape());
      for (int64_t i = 0; i < x.numel(); ++i) xr.data<float>()[i] = std::round(x.data<float>()[i] * 2);
    }
    for (const char* op : {"ArgMax", "ArgMin"}) {
      for (int64_t axis : {0, 1, 2, -1, -3}) {
        for (int keep : {0, 1}) {
          for (int last : {0, 1}) {
            SCOPED_TRACE(::testing::Message() << op << " " << dtype_name(dt) << " axis " << axis << " keep " << keep
                                              << " last " << last);
            const std::vector<Tensor> y = run_ref(
                {.op_type = op, .opset = 13,
                 .attrs = {attr_int("axis", axis), attr_int("keepdims", keep), attr_int("select_last_index", last)}},
                {xr});
            ASSERT_EQ(y.size(), 1u);
            EXPECT_TRUE(tensors_near(y[0], naive_arg(xr, axis, keep != 0, std::string(op) == "ArgMax", last != 0), 0, 0));
          }
        }
      }
    }
  }
}

TEST(RefArgMaxMin, DefaultsAndErrors) {
  const Tensor x = f32({1, 9, 3, 4}, {2, 2});
  // axis 0, keepdims 1 by default.
  const std::vector<Tensor> y = run_ref({.op_type = "ArgMax", .opset = 11}, {x});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], Tensor::from_vector<int64_t>({1, 0}, Shape{1, 2}), 0, 0));
  // Empty reduced axis with a non-empty output: no index exists.
  EXPECT_FALSE(ref_status({.op_type = "ArgMin", .opset = 13, .attrs = {attr_int("axis", 1)}}, {f32({}, {2, 0})}).ok());
  // Empty tensor reduced along a non-empty axis: empty output.
  const std::vector<Tensor> e = run_ref({.op_type = "ArgMin", .opset = 13, .attrs = {attr_int("axis", 1)}}, {f32({}, {0, 3})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].shape(), (Shape{0, 1}));
}

}  // namespace
}  // namespace fastserve::testing::ew
