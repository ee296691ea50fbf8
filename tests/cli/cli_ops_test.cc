// `fastserve ops`: the supported-operator list, and docs/ops.md kept equal to it.
#include <gtest/gtest.h>

#include <string>

#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

TEST(CliOps, ListsOpsWithOpsetsTypesAndOptimizedIsas) {
  if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";
  ProcessResult r = run_fastserve({"ops"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<std::string> lines = split_lines(r.out);
  bool conv = false, reshape = false;
  for (const std::string& l : lines) {
    if (l.rfind("Conv ", 0) == 0) {
      conv = true;
      EXPECT_NE(l.find("opsets 11-28"), std::string::npos) << l;
      EXPECT_NE(l.find("float32"), std::string::npos) << l;
      EXPECT_NE(l.find("optimized: "), std::string::npos) << l;
      EXPECT_NE(l.find("oneDNN"), std::string::npos) << l;
    }
    if (l.rfind("Reshape ", 0) == 0) {
      reshape = true;
      EXPECT_NE(l.find("any"), std::string::npos) << l;
    }
  }
  EXPECT_TRUE(conv) << r.out;
  EXPECT_TRUE(reshape) << r.out;
}

// docs/ops.md is generated; when an op is added, regenerate it with
// `build/release/fastserve ops --markdown > docs/ops.md`.
TEST(CliOps, DocsOpsMdMatchesTheRegistry) {
  if (fastserve_binary().empty()) GTEST_SKIP() << "fastserve binary not built";
  ProcessResult r = run_fastserve({"ops", "--markdown"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("| Conv | ai.onnx | 11-28 |"), std::string::npos) << r.out;
  EXPECT_EQ(read_file(source_path("docs/ops.md")), r.out)
      << "docs/ops.md is stale: regenerate it with `fastserve ops --markdown > docs/ops.md`";
}

}  // namespace
}  // namespace fastserve::testing
