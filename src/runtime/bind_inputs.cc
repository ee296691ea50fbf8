// Input validation for Session::run: one clear message per user mistake,
// naming the input and what the model expects.
#include "runtime/bind_inputs.h"

#include <map>
#include <string>
#include <utility>

namespace fastserve {
namespace {

std::string expected_type(const Value& v) {
  return std::string(dtype_name(v.dtype)) + (v.shape_known ? v.shape.to_string() : "[...]");
}

Status check_input(const Value& v, const Tensor& t,
                   std::map<std::string, std::pair<int64_t, std::string>>& dim_params) {
  const std::string who = "input '" + v.name + "'";
  if (!t.defined()) return invalid_argument(who + " has no data (undefined tensor)");
  if (v.dtype != DType::kUndefined && t.dtype() != v.dtype) {
    return invalid_argument(who + ": dtype is " + dtype_name(t.dtype()) + ", model expects " + dtype_name(v.dtype));
  }
  if (!v.shape_known) return ok_status();
  if (t.rank() != v.shape.rank()) {
    return invalid_argument(who + ": rank is " + std::to_string(t.rank()) + " (shape " + t.shape().to_string() +
                            "), model expects " + std::to_string(v.shape.rank()) + " (" + v.shape.to_string() + ")");
  }
  for (size_t d = 0; d < t.rank(); ++d) {
    const int64_t want = v.shape[d], got = t.dim(d);
    if (want >= 0) {
      if (got != want) {
        return invalid_argument(who + ": dim " + std::to_string(d) + " is " + std::to_string(got) +
                                ", model expects " + std::to_string(want));
      }
      continue;
    }
    // A symbolic dim ("batch") must take one size across all inputs of a run.
    if (d < v.dim_params.size() && !v.dim_params[d].empty()) {
      auto [it, inserted] = dim_params.emplace(v.dim_params[d], std::make_pair(got, v.name));
      if (!inserted && it->second.first != got) {
        return invalid_argument(who + ": dim " + std::to_string(d) + " ('" + v.dim_params[d] + "') is " +
                                std::to_string(got) + ", but input '" + it->second.second + "' set it to " +
                                std::to_string(it->second.first));
      }
    }
  }
  return ok_status();
}

}  // namespace

Status bind_inputs(const ExecutionPlan& plan, std::span<const NamedTensor> inputs,
                   std::vector<const Tensor*>& slots) {
  const Graph& g = plan.model->graph;
  const std::string& model = plan.display_name;
  std::vector<bool> given(g.inputs.size(), false);
  std::map<std::string, std::pair<int64_t, std::string>> dim_params;
  for (const NamedTensor& in : inputs) {
    size_t k = 0;
    while (k < g.inputs.size() && g.values[static_cast<size_t>(g.inputs[k])].name != in.name) ++k;
    if (k == g.inputs.size()) {
      std::string names;
      for (ValueId id : g.inputs) names += (names.empty() ? "" : ", ") + g.values[static_cast<size_t>(id)].name;
      return invalid_argument(model + ": unknown input '" + in.name + "'; model inputs are: " +
                              (names.empty() ? "(none)" : names));
    }
    if (given[k]) return invalid_argument(model + ": input '" + in.name + "' given more than once");
    given[k] = true;
    const Value& v = g.values[static_cast<size_t>(g.inputs[k])];
    FS_RETURN_IF_ERROR(check_input(v, in.tensor, dim_params).with_context(model));
    slots[static_cast<size_t>(g.inputs[k])] = &in.tensor;
  }
  std::string missing;
  size_t n_missing = 0;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    if (given[k]) continue;
    const Value& v = g.values[static_cast<size_t>(g.inputs[k])];
    missing += (missing.empty() ? "'" : ", '") + v.name + "' (" + expected_type(v) + ")";
    ++n_missing;
  }
  if (n_missing > 0) {
    return invalid_argument(model + ": missing input" + (n_missing == 1 ? " " : "s ") + missing);
  }
  return ok_status();
}

}  // namespace fastserve
