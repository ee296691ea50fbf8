// Reference Identity (kernels/ref/identity.cc): exact copies of any dtype.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

TEST(RefIdentity, CopiesEveryDtypeExactly) {
  std::mt19937 rng(1234);
  for (DType dt : {DType::kF32, DType::kF16, DType::kI64, DType::kU8, DType::kBool, DType::kF64}) {
    SCOPED_TRACE(dtype_name(dt));
    const Tensor x = random_tensor(dt, {3, 5}, rng, -100, 100);
    const std::vector<Tensor> y = run_ref({.op_type = "Identity", .opset = 16}, {x});
    ASSERT_EQ(y.size(), 1u);
    EXPECT_TRUE(same_bytes(y[0], x));
    EXPECT_NE(y[0].raw_data(), x.raw_data());
  }
  const std::vector<Tensor> e = run_ref({.op_type = "Identity", .opset = 16}, {f32({}, {0})});
  ASSERT_EQ(e.size(), 1u);
  EXPECT_EQ(e[0].numel(), 0);
}

}  // namespace
}  // namespace fastserve::testing::ew
