// where__portable (kernels/cpu/where/where.cc) against the reference Where:
// every broadcast pattern of the three operands (including GPT-2's causal
// mask: condition [1,1,T,T], X [1,H,T,T], Y a scalar), element sizes 1, 2,
// 4 and 8, dims that coalesce and dims that do not, odd sizes.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::OpSpec;

struct Case {
  Shape c, x, y;
};

TEST(WhereCpu, EveryBroadcastPatternAndElementSizeMatchesReference) {
  std::mt19937 rng(21);
  const std::vector<Case> cases = {
      {{1, 1, 9, 9}, {1, 3, 9, 9}, {}},          // causal mask
      {{2, 5, 7}, {2, 5, 7}, {2, 5, 7}},         // no broadcast: one row
      {{7}, {3, 4, 7}, {3, 1, 1}},               // row and column broadcasts
      {{3, 1, 5}, {1, 4, 1}, {3, 4, 5}},         // all three differ
      {{}, {6, 33}, {33}},                       // scalar condition
      {{2, 1, 3, 1, 5}, {1, 4, 3, 6, 1}, {5}},   // rank 5, alternating
      {{1}, {1}, {1}},                           // one element
  };
  for (DType t : {DType::kF32, DType::kU8, DType::kF16, DType::kI64}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(std::string(dtype_name(t)) + " c" + c.c.to_string() + " x" + c.x.to_string() + " y" +
                   c.y.to_string());
      const std::vector<Tensor> in = {testing::random_tensor(DType::kBool, c.c, rng),
                                      testing::random_tensor(t, c.x, rng, -50, 50),
                                      testing::random_tensor(t, c.y, rng, -50, 50)};
      EXPECT_GT(testing::expect_kernels_match_reference(OpSpec{"Where", 16}, in, 0, 0), 0);
    }
  }
}

}  // namespace
}  // namespace fastserve
