// The committed expected-results file: one "<test name> <outcome>" line per
// node test (outcome pass, fail or unsupported), '#' comments. A test that
// the file says passes and that no longer passes is a regression.
#pragma once

#include <map>
#include <string>

#include "fastserve/status.h"

namespace fastserve::conformance {

using OutcomeMap = std::map<std::string, std::string>;  // test name -> outcome

Result<OutcomeMap> read_expected_results(const std::string& path);
Status write_expected_results(const std::string& path, const OutcomeMap& outcomes, const std::string& header);

}  // namespace fastserve::conformance
