// Reference OneHot, DepthToSpace and SpaceToDepth (kernels/ref/one_hot.cc,
// depth_to_space.cc) against formulas written here: every axis, negative
// and out-of-range indices, DCR and CRD modes, and the round trip.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

TEST(OneHotRef, MatchesFormulaForEveryAxis) {
  const Tensor idx = i64s({0, 2, -1, 5, 1, -4}, {2, 3});  // 5 and -4 are outside depth 4
  const Tensor depth = Tensor::scalar<int64_t>(4);
  const Tensor vals = f32s({-1, 7}, {2});
  for (int64_t axis : {0, 1, 2, -1, -3}) {
    SCOPED_TRACE(axis);
    auto r = run_reference({.op_type = "OneHot", .opset = 11, .attrs = {attr_int("axis", axis)}}, {idx, depth, vals});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const Tensor& y = (*r)[0];
    const int64_t ax = axis < 0 ? axis + 3 : axis;
    std::vector<int64_t> dims = {2, 3};
    dims.insert(dims.begin() + ax, 4);
    ASSERT_EQ(y.shape(), Shape(dims));
    for (int64_t e = 0; e < y.numel(); ++e) {
      std::vector<int64_t> c = {e / (dims[1] * dims[2]), (e / dims[2]) % dims[1], e % dims[2]};
      const int64_t j = c[static_cast<size_t>(ax)];
      c.erase(c.begin() + ax);
      int64_t v = idx.data<int64_t>()[c[0] * 3 + c[1]];
      if (v < 0) v += 4;
      EXPECT_EQ(y.data<float>()[e], v == j ? 7.0f : -1.0f) << e;
    }
  }
}

TEST(OneHotRef, FloatIndicesAndDepthAndIntValues) {
  auto r = run_reference({.op_type = "OneHot", .opset = 11},
                         {f32s({1.0f, 0.0f}, {2}), Tensor::scalar<float>(3.0f), i64s({0, 1})});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_TRUE(same_bytes((*r)[0], i64s({0, 1, 0, 1, 0, 0}, {2, 3})));
}

TEST(DepthToSpaceRef, DcrAndCrdMatchTheSpecFormulas) {
  const int64_t b = 2, n = 2, c = 3, h = 2, w = 3;
  const Tensor x = iota_f32({n, c * b * b, h, w});
  for (const char* mode : {"DCR", "CRD"}) {
    SCOPED_TRACE(mode);
    auto r = run_reference(
        {.op_type = "DepthToSpace", .opset = 13, .attrs = {attr_int("blocksize", b), attr_string("mode", mode)}}, {x});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const Tensor& y = (*r)[0];
    ASSERT_EQ(y.shape(), (Shape{n, c, h * b, w * b}));
    for (int64_t e = 0; e < y.numel(); ++e) {
      const int64_t ow = e % (w * b), oh = (e / (w * b)) % (h * b), oc = (e / (w * b * h * b)) % c,
                    on = e / (w * b * h * b * c);
      const int64_t i = oh % b, j = ow % b;
      const int64_t ic = std::string(mode) == "DCR" ? (i * b + j) * c + oc : oc * b * b + i * b + j;
      EXPECT_EQ(y.data<float>()[e], x.data<float>()[((on * c * b * b + ic) * h + oh / b) * w + ow / b]) << e;
    }
  }
}

TEST(DepthToSpaceRef, SpaceToDepthInvertsDcr) {
  std::mt19937 rng(61);
  const Tensor x = random_tensor(DType::kI32, {1, 2, 4, 6}, rng, -9, 9);
  auto s2d = run_reference({.op_type = "SpaceToDepth", .opset = 13, .attrs = {attr_int("blocksize", 2)}}, {x});
  ASSERT_TRUE(s2d.ok()) << s2d.status().to_string();
  ASSERT_EQ((*s2d)[0].shape(), (Shape{1, 8, 2, 3}));
  // Spec element: out[0, (i*b+j)*C + c, h, w] = in[0, c, h*b+i, w*b+j]; check one.
  EXPECT_EQ((*s2d)[0].data<int32_t>()[((1 * 2 + 1) * 2 + 1) * 3 + 2],  // i=0, j=1 -> (0*2+1)*2 + c=1 = 3
            x.data<int32_t>()[((0 * 2 + 1) * 4 + 2) * 6 + 5]);         // c=1, h=1*2+0, w=2*2+1
  auto back = run_reference({.op_type = "DepthToSpace", .opset = 13, .attrs = {attr_int("blocksize", 2)}}, {(*s2d)[0]});
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  EXPECT_TRUE(same_bytes((*back)[0], x));
  EXPECT_FALSE(run_reference({.op_type = "SpaceToDepth", .opset = 13, .attrs = {attr_int("blocksize", 4)}}, {x}).ok());
  // CRD (the later SpaceToDepth's mode) inverts DepthToSpace CRD.
  const std::vector<Attribute> crd = {attr_int("blocksize", 2), attr_string("mode", "CRD")};
  auto s2d_crd = run_reference({.op_type = "SpaceToDepth", .opset = 13, .attrs = crd}, {x});
  ASSERT_TRUE(s2d_crd.ok()) << s2d_crd.status().to_string();
  EXPECT_EQ((*s2d_crd)[0].data<int32_t>()[((1 * 4 + 1) * 2 + 1) * 3 + 2],  // c=1, i=0, j=1 -> 1*4 + 1 = 5
            x.data<int32_t>()[((0 * 2 + 1) * 4 + 2) * 6 + 5]);
  auto back_crd = run_reference({.op_type = "DepthToSpace", .opset = 13, .attrs = crd}, {(*s2d_crd)[0]});
  ASSERT_TRUE(back_crd.ok()) << back_crd.status().to_string();
  EXPECT_TRUE(same_bytes((*back_crd)[0], x));
}

}  // namespace
}  // namespace fastserve::testing
