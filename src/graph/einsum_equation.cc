// Einsum equation parsing and label sizes (see einsum_equation.h).
#include "graph/einsum_equation.h"

#include <algorithm>

namespace fastserve {
namespace {

int letter_label(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return 26 + (c - 'a');
  return -1;
}

// One term split into the letters before and after its ellipsis.
struct Term {
  std::vector<int> before, after;
  bool ellipsis = false;
};

Result<Term> parse_term(std::string_view s, const std::string& what) {
  Term t;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (t.ellipsis || s.substr(i, 3) != "...") {
        return invalid_argument(what + " '" + std::string(s) + "' has a stray '.' or more than one '...'");
      }
      t.ellipsis = true;
      i += 2;
      continue;
    }
    const int l = letter_label(s[i]);
    if (l < 0) return invalid_argument(what + " '" + std::string(s) + "' has '" + s[i] + "', not a letter");
    (t.ellipsis ? t.after : t.before).push_back(l);
  }
  return t;
}

}  // namespace

Result<EinsumPlan> parse_einsum(std::string_view equation, const std::vector<size_t>& input_ranks) {
  std::string eq;
  for (char c : equation) {
    if (c != ' ') eq.push_back(c);
  }
  const size_t arrow = eq.find("->");
  const std::string lhs = eq.substr(0, arrow);
  std::vector<std::string> terms = {""};
  for (char c : lhs) {
    if (c == ',') {
      terms.emplace_back();
    } else {
      terms.back().push_back(c);
    }
  }
  if (terms.size() != input_ranks.size()) {
    return invalid_argument("equation '" + std::string(equation) + "' has " + std::to_string(terms.size()) +
                            " input terms for " + std::to_string(input_ranks.size()) + " inputs");
  }
  EinsumPlan plan;
  size_t ell_rank = 0;
  std::vector<Term> parsed;
  for (size_t i = 0; i < terms.size(); ++i) {
    FS_ASSIGN_OR_RETURN(Term t, parse_term(terms[i], "input term " + std::to_string(i)));
    const size_t letters = t.before.size() + t.after.size();
    if (t.ellipsis ? letters > input_ranks[i] : letters != input_ranks[i]) {
      return invalid_argument("input term " + std::to_string(i) + " '" + terms[i] + "' names " +
                              std::to_string(letters) + " dims, input " + std::to_string(i) + " has rank " +
                              std::to_string(input_ranks[i]));
    }
    if (t.ellipsis) ell_rank = std::max(ell_rank, input_ranks[i] - letters);
    parsed.push_back(std::move(t));
  }
  plan.num_labels = kEinsumLetterLabels + static_cast<int>(ell_rank);
  std::vector<int> count(static_cast<size_t>(plan.num_labels), 0);
  for (size_t i = 0; i < parsed.size(); ++i) {
    const Term& t = parsed[i];
    std::vector<int>& labels = plan.inputs.emplace_back(t.before);
    if (t.ellipsis) {
      // This input's ellipsis dims are the last ones of the common ellipsis.
      const size_t n = input_ranks[i] - t.before.size() - t.after.size();
      for (size_t k = 0; k < n; ++k) labels.push_back(kEinsumLetterLabels + static_cast<int>(ell_rank - n + k));
    }
    labels.insert(labels.end(), t.after.begin(), t.after.end());
    for (int l : labels) ++count[static_cast<size_t>(l)];
  }
  if (arrow == std::string::npos) {
    for (size_t k = 0; k < ell_rank; ++k) plan.output.push_back(kEinsumLetterLabels + static_cast<int>(k));
    for (int l = 0; l < kEinsumLetterLabels; ++l) {
      if (count[static_cast<size_t>(l)] == 1) plan.output.push_back(l);
    }
    return plan;
  }
  FS_ASSIGN_OR_RETURN(const Term out, parse_term(std::string_view(eq).substr(arrow + 2), "output term"));
  std::vector<bool> used(static_cast<size_t>(plan.num_labels), false);
  auto add = [&](int l) -> Status {
    if (count[static_cast<size_t>(l)] == 0 || used[static_cast<size_t>(l)]) {
      const char c = static_cast<char>(l < 26 ? 'A' + l : 'a' + (l - 26));
      return invalid_argument(std::string("output label '") + c + "' " +
                              (used[static_cast<size_t>(l)] ? "is repeated" : "is not in any input term"));
    }
    used[static_cast<size_t>(l)] = true;
    plan.output.push_back(l);
    return ok_status();
  };
  for (int l : out.before) FS_RETURN_IF_ERROR(add(l));
  if (out.ellipsis) {
    for (size_t k = 0; k < ell_rank; ++k) plan.output.push_back(kEinsumLetterLabels + static_cast<int>(k));
  }
  for (int l : out.after) FS_RETURN_IF_ERROR(add(l));
  return plan;
}

Result<std::vector<int64_t>> einsum_label_sizes(const EinsumPlan& plan, const std::vector<Shape>& input_shapes) {
  std::vector<int64_t> size(static_cast<size_t>(plan.num_labels), kUnknownDim);
  // An unknown ellipsis dim may be the one that broadcasts a 1 up.
  std::vector<bool> unknown_seen(size.size(), false);
  for (size_t i = 0; i < plan.inputs.size(); ++i) {
    for (size_t d = 0; d < plan.inputs[i].size(); ++d) {
      const int l = plan.inputs[i][d];
      const int64_t dim = input_shapes[i][d];
      int64_t& s = size[static_cast<size_t>(l)];
      if (dim == kUnknownDim) {
        unknown_seen[static_cast<size_t>(l)] = true;
        continue;
      }
      const bool ellipsis = l >= kEinsumLetterLabels;
      if (s == kUnknownDim || (ellipsis && s == 1)) {
        s = dim;
      } else if (s != dim && !(ellipsis && dim == 1)) {
        const std::string name = ellipsis ? "an ellipsis dim"
                                          : std::string("label '") +
                                                static_cast<char>(l < 26 ? 'A' + l : 'a' + (l - 26)) + "'";
        return invalid_argument(name + " has size " + std::to_string(s) + " and " + std::to_string(dim) +
                                " (input " + std::to_string(i) + ")");
      }
    }
  }
  for (size_t l = kEinsumLetterLabels; l < size.size(); ++l) {
    if (unknown_seen[l] && size[l] == 1) size[l] = kUnknownDim;
  }
  return size;
}

}  // namespace fastserve
