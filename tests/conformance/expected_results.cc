#include "tests/conformance/expected_results.h"

#include <fstream>
#include <sstream>

namespace fastserve::conformance {

Result<OutcomeMap> read_expected_results(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot open");
  OutcomeMap out;
  std::string line;
  for (int line_no = 1; std::getline(in, line); ++line_no) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream fields(line);
    std::string name, outcome, extra;
    fields >> name >> outcome;
    if (name.empty() || (outcome != "pass" && outcome != "fail" && outcome != "unsupported") || (fields >> extra)) {
      return Status(StatusCode::kInvalidArgument,
                    path + ":" + std::to_string(line_no) + ": expected '<test> pass|fail|unsupported', got '" + line + "'");
    }
    out[name] = outcome;
  }
  return out;
}

Status write_expected_results(const std::string& path, const OutcomeMap& outcomes, const std::string& header) {
  std::ofstream out(path);
  if (!out) return Status(StatusCode::kNotFound, path + ": cannot write");
  out << header;
  for (const auto& [name, outcome] : outcomes) out << name << ' ' << outcome << '\n';
  return out ? ok_status() : Status(StatusCode::kInternal, path + ": write failed");
}

}  // namespace fastserve::conformance
