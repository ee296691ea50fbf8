// Runs one node test in this process: load, compile (1 thread), run each data
// set, compare. The conformance runner calls it in a forked child so that a
// crash or a hang is caught and reported instead of ending the run.
#pragma once

#include <string>

#include "tests/conformance/compare_outputs.h"
#include "tests/conformance/node_test_case.h"

namespace fastserve::conformance {

enum class Outcome : char { kPass = 'P', kFail = 'F', kUnsupported = 'U' };

struct NodeTestResult {
  Outcome outcome = Outcome::kFail;
  std::string detail;  // why it failed or is unsupported; "" on pass
};

NodeTestResult run_node_test(const NodeTestCase& test, const Tolerance& tol);

}  // namespace fastserve::conformance
