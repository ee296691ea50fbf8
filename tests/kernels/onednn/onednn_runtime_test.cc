// The shared oneDNN plumbing (kernels/onednn/onednn_runtime.h,
// primitive_cache.h): the OpenMP team size that makes --threads exact, the
// per-shape primitive cache, shape keys, the ISA cap. Built only with oneDNN.
#include <gtest/gtest.h>

#ifdef FASTSERVE_HAVE_ONEDNN

#include <vector>

#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"
#include "tests/kernels/onednn/onednn_harness.h"

namespace fastserve::onednn {
namespace {

TEST(OneDnnRuntime, TeamSizeFollowsTheScopeAndIsRestored) {
  const int before = omp_team_size();
  {
    OmpTeamSize outer(3);
    EXPECT_EQ(omp_team_size(), 3);
    {
      OmpTeamSize inner(1);
      EXPECT_EQ(omp_team_size(), 1);
    }
    EXPECT_EQ(omp_team_size(), 3);
  }
  EXPECT_EQ(omp_team_size(), before);
}

TEST(OneDnnRuntime, CacheBuildsOncePerKeyAndEvictsTheOldest) {
  PrimitiveCache<int> cache;
  int builds = 0;
  auto make = [&]() -> Result<int> { return ++builds; };
  ASSERT_TRUE(cache.get({1, 2}, make).ok());
  Result<std::shared_ptr<const int>> again = cache.get({1, 2}, make);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(**again, 1);
  EXPECT_EQ(builds, 1);
  for (int64_t k = 0; k < static_cast<int64_t>(PrimitiveCache<int>::kMaxEntries); ++k) {
    ASSERT_TRUE(cache.get({100 + k}, make).ok());
  }
  EXPECT_EQ(cache.size(), PrimitiveCache<int>::kMaxEntries);
  const int before = builds;
  ASSERT_TRUE(cache.get({1, 2}, make).ok());  // evicted first, so built again
  EXPECT_EQ(builds, before + 1);
}

TEST(OneDnnRuntime, CacheDoesNotKeepFailures) {
  PrimitiveCache<int> cache;
  bool fail = true;
  auto make = [&]() -> Result<int> {
    if (fail) return invalid_argument("no");
    return 7;
  };
  EXPECT_FALSE(cache.get({1}, make).ok());
  EXPECT_EQ(cache.size(), 0u);
  fail = false;
  Result<std::shared_ptr<const int>> e = cache.get({1}, make);
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(**e, 7);
}

TEST(OneDnnRuntime, ShapeKeyMarksOmittedInputsAndUnknownDims) {
  const std::vector<Attribute> attrs;
  std::vector<TensorInfo> outs = {TensorInfo{true}};
  std::vector<TensorInfo> ins = {TensorInfo::with_shape(DType::kF32, {2, 3}), TensorInfo{},
                                 TensorInfo::with_shape(DType::kF32, {4})};
  const std::vector<int64_t> key = shape_key(NodeView("n", "Gemm", "", 13, &attrs, ins, outs));
  EXPECT_EQ(key, (std::vector<int64_t>{2, 2, 3, -2, 1, 4}));
  EXPECT_TRUE(shape_key_is_static(key));
  ins[0] = TensorInfo::with_shape(DType::kF32, {kUnknownDim, 3});
  EXPECT_FALSE(shape_key_is_static(shape_key(NodeView("n", "Gemm", "", 13, &attrs, ins, outs))));
  ins[0] = TensorInfo{true, DType::kF32, false, {}, nullptr};  // unknown rank
  EXPECT_FALSE(shape_key_is_static(shape_key(NodeView("n", "Gemm", "", 13, &attrs, ins, outs))));
}

TEST(OneDnnRuntime, IsaCapAtTheHostLevelIsAcceptedAndNeverExceedsTheCpu) {
  SKIP_WITHOUT_ONEDNN();
  const std::vector<Attribute> attrs;
  std::vector<TensorInfo> ins = {TensorInfo::with_shape(DType::kF32, {2})}, outs = {TensorInfo{true}};
  const NodeView node("n", "Relu", "", 14, &attrs, ins, outs);
  EXPECT_TRUE(apply_isa_cap(node, host_isa()).ok());
  EXPECT_LE(effective_isa(), detected_isa());
  EXPECT_GE(effective_isa(), Isa::kAvx2);
}

}  // namespace
}  // namespace fastserve::onednn

#else

TEST(OneDnnRuntime, NotBuilt) {
  GTEST_SKIP() << "built without oneDNN (libdnnl-dev not found, or -DFASTSERVE_ONEDNN=OFF)";
}

#endif
