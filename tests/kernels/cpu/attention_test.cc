// fastserve.Attention: every CPU descriptor the host runs (kernels/cpu/attention/)
// against the reference (kernels/ref/attention.cc) on random shapes: Sq != Sk,
// D and Dv not multiples of 16, H = 1, B > 1, both layouts, each mask kind
// and broadcast pattern, causal (Sk > Sq, Sk < Sq), fully masked rows, and
// lengths past the 64-query / 256-key blocks (several online-softmax steps).
// The worst error (relative to the largest output) over all cases is printed.
#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <iostream>
#include <random>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_int;
using testing::attr_string;
using testing::OpSpec;

struct Case {
  int64_t b, h, sq, sk, d, dv;
  bool bshd = false;
  bool causal = false;
  std::vector<int64_t> add_shape;   // empty: no additive mask
  std::vector<int64_t> keep_shape;  // empty: no keep mask
  float fill = -FLT_MAX;
  float keep_fraction = 0.7f;
};

double g_worst_rel = 0;

Shape operand(const Case& c, int64_t s, int64_t x) { return c.bshd ? Shape{c.b, s, c.h, x} : Shape{c.b, c.h, s, x}; }

Tensor random_keep(const Shape& shape, float fraction, std::mt19937& rng) {
  Tensor t = Tensor::zeros(DType::kBool, shape);
  std::uniform_real_distribution<float> u(0.f, 1.f);
  bool* p = t.data<bool>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = u(rng) < fraction;
  return t;
}

void check(const Case& c, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<Tensor> in = {testing::random_f32(operand(c, c.sq, c.d), rng, -2, 2),
                            testing::random_f32(operand(c, c.sk, c.d), rng, -2, 2),
                            testing::random_f32(operand(c, c.sk, c.dv), rng)};
  if (!c.add_shape.empty() || !c.keep_shape.empty()) {
    if (c.add_shape.empty()) {
      in.push_back(Tensor());
    } else {
      Tensor add = testing::random_f32(Shape(c.add_shape), rng, -1, 1);
      float* p = add.data<float>();
      for (int64_t i = 0; i < add.numel(); i += 5) p[i] = -10000.f;  // padded keys, as BERT's mask
      in.push_back(add);
    }
  }
  if (!c.keep_shape.empty()) in.push_back(random_keep(Shape(c.keep_shape), c.keep_fraction, rng));
  OpSpec spec{"Attention",
              1,
              {attr_float("scale", 1.0f / std::sqrt(static_cast<float>(c.d))), attr_float("fill", c.fill),
               attr_int("causal", c.causal ? 1 : 0), attr_string("layout", c.bshd ? "bshd" : "bhsd")},
              1,
              "fastserve"};
  const KernelDesc* ref = testing::reference_kernel(spec, in);
  ASSERT_NE(ref, nullptr);
  Result<std::vector<Tensor>> want = testing::run_kernel(*ref, spec, in);
  ASSERT_TRUE(want.ok()) << want.status().to_string();
  int compared = 0;
  for (const KernelDesc* d : testing::runnable_kernels(spec, in)) {
    if (d->priority == 0) continue;
    SCOPED_TRACE(d->name);
    Result<std::vector<Tensor>> got = testing::run_kernel(*d, spec, in, 2);
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_TRUE(testing::tensors_near((*got)[0], (*want)[0], 1e-5, 1e-4));
    // Error relative to the output's largest magnitude (elementwise relative
    // error is meaningless for outputs near 0).
    const testing::ErrorStats e = testing::error_stats((*got)[0], (*want)[0]);
    double peak = 0;
    const float* w = (*want)[0].data<float>();
    for (int64_t i = 0; i < (*want)[0].numel(); ++i) peak = std::max(peak, std::fabs(static_cast<double>(w[i])));
    g_worst_rel = std::max(g_worst_rel, peak > 0 ? e.max_abs / peak : e.max_abs);
    ++compared;
  }
  EXPECT_GT(compared, 0);
}

TEST(AttentionCpu, ShapesAndLayoutsMatchReference) {
  const Case cases[] = {
      {2, 3, 5, 7, 13, 9},        {2, 3, 5, 7, 13, 9, true}, {1, 1, 1, 1, 1, 1},        {1, 1, 17, 3, 64, 64, true},
      {3, 2, 70, 70, 20, 33},     {1, 2, 130, 600, 64, 40, true},                         {1, 1, 65, 257, 16, 16},
  };
  uint32_t seed = 100;
  for (const Case& c : cases) {
    SCOPED_TRACE("b" + std::to_string(c.b) + " h" + std::to_string(c.h) + " sq" + std::to_string(c.sq) + " sk" +
                 std::to_string(c.sk) + " d" + std::to_string(c.d) + (c.bshd ? " bshd" : " bhsd"));
    check(c, seed++);
  }
}

TEST(AttentionCpu, MaskKindsAndBroadcastsMatchReference) {
  const int64_t b = 2, h = 3, sq = 9, sk = 300, d = 24, dv = 17;
  const std::vector<std::vector<int64_t>> shapes = {
      {b, 1, 1, sk}, {sq, sk}, {sk}, {1, h, sq, sk}, {b, h, sq, sk}, {b, h, 1, 1}, {1, 1, sq, sk}};
  uint32_t seed = 200;
  for (const auto& s : shapes) {
    for (bool bshd : {false, true}) {
      SCOPED_TRACE("mask " + Shape(s).to_string() + (bshd ? " bshd" : " bhsd"));
      Case add{b, h, sq, sk, d, dv, bshd};
      add.add_shape = s;
      check(add, seed++);
      Case keep{b, h, sq, sk, d, dv, bshd};
      keep.keep_shape = s;
      check(keep, seed++);
      Case both = keep;
      both.add_shape = s;
      both.fill = -1e4f;
      check(both, seed++);
    }
  }
}

TEST(AttentionCpu, CausalAndFullyMaskedRowsMatchReference) {
  uint32_t seed = 300;
  for (bool bshd : {false, true}) {
    // Sk > Sq (the offset), Sk < Sq (rows with no key: all fill, uniform), blocks past 64 x 256.
    for (auto [sq, sk] : {std::pair<int64_t, int64_t>{70, 70}, {3, 300}, {10, 4}, {130, 520}}) {
      SCOPED_TRACE("causal sq" + std::to_string(sq) + " sk" + std::to_string(sk) + (bshd ? " bshd" : ""));
      Case c{2, 2, sq, sk, 19, 21, bshd, true};
      check(c, seed++);
      c.fill = -5.f;  // a finite fill: excluded keys still count
      check(c, seed++);
      c.fill = -FLT_MAX;
      c.add_shape = {1, 1, 1, sk};
      check(c, seed++);
    }
  }
  // Keep masks that exclude whole rows: the unfused Softmax of all fill is uniform.
  Case none{1, 2, 6, 40, 8, 8};
  none.keep_shape = {1, 1, 6, 40};
  none.keep_fraction = 0.f;
  check(none, seed++);
  none.keep_fraction = 0.05f;
  check(none, seed++);
  none.add_shape = {1, 1, 1, 40};
  check(none, seed++);
  std::cout << "[ attention ] worst max abs error / max |reference| over all cases: " << g_worst_rel << "\n";
}

TEST(AttentionCpu, BadShapesAreErrorsNamingTheNode) {
  std::mt19937 rng(400);
  OpSpec spec{"Attention", 1, {}, 1, "fastserve"};
  const std::vector<Tensor> in = {testing::random_f32({1, 2, 3, 4}, rng), testing::random_f32({1, 2, 5, 4}, rng),
                                  testing::random_f32({1, 2, 6, 4}, rng)};  // V's Sk differs from K's
  const KernelDesc* ref = testing::reference_kernel(spec, {in[0], in[1], testing::random_f32({1, 2, 5, 4}, rng)});
  ASSERT_NE(ref, nullptr);
  Result<std::vector<Tensor>> r = testing::run_kernel(*ref, spec, in);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node0"), std::string::npos) << r.status().message();
}

}  // namespace
}  // namespace fastserve
