// Reference Expand and Tile (kernels/ref/expand.cc, tile.cc) against index
// formulas written here, on random shapes, several dtypes (they move bytes),
// bidirectional broadcasting, and empty tensors.
#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

// Element of x at output multi-index idx under numpy broadcasting (x right-aligned).
double broadcast_at(const Tensor& x, const std::vector<int64_t>& idx) {
  const size_t off = idx.size() - x.rank();
  int64_t flat = 0;
  for (size_t k = 0; k < x.rank(); ++k) flat = flat * x.dim(k) + (x.dim(k) == 1 ? 0 : idx[off + k]);
  return x.element_as_double(flat);
}

std::vector<int64_t> unravel(int64_t i, const Shape& s) {
  std::vector<int64_t> idx(s.rank());
  for (size_t k = s.rank(); k-- > 0;) {
    idx[k] = i % s[k];
    i /= s[k];
  }
  return idx;
}

TEST(ExpandRef, MatchesBroadcastFormulaBidirectionally) {
  std::mt19937 rng(21);
  struct Case {
    Shape in;
    std::vector<int64_t> shape;
    Shape out;
  };
  const std::vector<Case> cases = {
      {{3, 1}, {2, 1, 6}, {2, 3, 6}},   // classic
      {{3, 4}, {1, 1}, {3, 4}},         // 1s keep the input's dims
      {{2, 1, 4}, {5, 1}, {2, 5, 4}},   // shape shorter than input
      {{}, {2, 3}, {2, 3}},             // scalar
      {{1, 3}, {0, 3}, {0, 3}},         // empty result
      {{4}, {}, {4}},                   // empty shape: identity
  };
  for (DType dt : {DType::kF32, DType::kI64, DType::kI8}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " " << c.in.to_string());
      const Tensor x = random_tensor(dt, c.in, rng, -50, 50);
      auto r = run_reference({.op_type = "Expand", .opset = 13}, {x, i64s(c.shape)});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      const Tensor& y = (*r)[0];
      ASSERT_EQ(y.shape(), c.out);
      ASSERT_EQ(y.dtype(), dt);
      for (int64_t i = 0; i < y.numel(); ++i) EXPECT_EQ(y.element_as_double(i), broadcast_at(x, unravel(i, c.out))) << i;
    }
  }
}

TEST(ExpandRef, IncompatibleShapeIsAnErrorNamingTheNode) {
  auto r = run_reference({.op_type = "Expand", .opset = 13}, {iota_f32({3}), i64s({4})});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("node0"), std::string::npos) << r.status().message();
}

TEST(TileRef, MatchesModuloFormula) {
  std::mt19937 rng(22);
  struct Case {
    Shape in;
    std::vector<int64_t> repeats;
  };
  const std::vector<Case> cases = {{{2, 3}, {1, 2}}, {{2, 3}, {3, 1}}, {{1, 2, 3}, {2, 2, 2}},
                                   {{4}, {0}},      {{0, 2}, {3, 2}}, {{}, {}}};
  for (DType dt : {DType::kF32, DType::kI32, DType::kBool}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(::testing::Message() << dtype_name(dt) << " " << c.in.to_string());
      const Tensor x = random_tensor(dt, c.in, rng, 0, 1);
      auto r = run_reference({.op_type = "Tile", .opset = 13}, {x, i64s(c.repeats)});
      ASSERT_TRUE(r.ok()) << r.status().to_string();
      const Tensor& y = (*r)[0];
      std::vector<int64_t> out_dims;
      for (size_t k = 0; k < c.in.rank(); ++k) out_dims.push_back(c.in[k] * c.repeats[k]);
      ASSERT_EQ(y.shape(), Shape(out_dims));
      for (int64_t i = 0; i < y.numel(); ++i) {
        std::vector<int64_t> idx = unravel(i, y.shape());
        int64_t flat = 0;
        for (size_t k = 0; k < idx.size(); ++k) flat = flat * x.dim(k) + idx[k] % x.dim(k);
        EXPECT_EQ(y.element_as_double(i), x.element_as_double(flat)) << i;
      }
    }
  }
}

TEST(TileRef, RepeatsMustMatchRankAndBeNonNegative) {
  EXPECT_FALSE(run_reference({.op_type = "Tile", .opset = 13}, {iota_f32({2, 2}), i64s({2})}).ok());
  EXPECT_FALSE(run_reference({.op_type = "Tile", .opset = 13}, {iota_f32({2}), i64s({-1})}).ok());
}

}  // namespace
}  // namespace fastserve::testing
