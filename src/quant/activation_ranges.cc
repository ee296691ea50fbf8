// observe_activations (see activation_ranges.h).
#include "quant/activation_ranges.h"

#include <memory>
#include <set>

namespace fastserve::quant {

Result<std::map<std::string, RangeObserver>> observe_activations(
    const Model& model, const std::vector<std::string>& tensors, std::span<const CalibrationBatch> batches,
    int num_threads, const std::function<void(size_t)>& progress) {
  const std::string who = model.display_name();
  if (batches.empty()) return invalid_argument(who + ": the calibration set is empty");
  auto copy = std::make_shared<Model>(model);
  Graph& g = copy->graph;
  std::set<ValueId> graph_inputs(g.inputs.begin(), g.inputs.end());
  // Which graph output (by position) or graph input carries each tensor.
  std::vector<std::pair<std::string, bool>> sources;  // (tensor, is a graph input)
  std::map<std::string, size_t> output_slot;
  for (size_t i = 0; i < g.outputs.size(); ++i) output_slot[g.values[static_cast<size_t>(g.outputs[i])].name] = i;
  for (const std::string& name : tensors) {
    const ValueId v = g.find_value(name);
    if (v == kNoValue) return invalid_argument(who + ": calibration tensor '" + name + "' is not in the model");
    if (graph_inputs.count(v)) {
      sources.emplace_back(name, true);
      continue;
    }
    if (!output_slot.count(name)) {
      output_slot[name] = g.outputs.size();
      g.outputs.push_back(v);
    }
    sources.emplace_back(name, false);
  }
  SessionOptions so;
  so.num_threads = num_threads;
  so.optimization_level = 0;
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(copy, so));

  std::map<std::string, RangeObserver> observed;
  for (size_t b = 0; b < batches.size(); ++b) {
    Result<std::vector<NamedTensor>> outs = session->run(batches[b]);
    if (!outs.ok()) return outs.status().with_context(who + ": calibration batch " + std::to_string(b));
    for (const auto& [name, is_input] : sources) {
      const Tensor* t = nullptr;
      if (is_input) {
        for (const NamedTensor& in : batches[b]) {
          if (in.name == name) t = &in.tensor;
        }
        if (t == nullptr) {
          return invalid_argument(who + ": calibration batch " + std::to_string(b) + " has no input '" + name + "'");
        }
      } else {
        t = &(*outs)[output_slot.at(name)].tensor;
      }
      if (t->dtype() != DType::kF32) {
        return invalid_argument(who + ": calibration tensor '" + name + "' is " + dtype_name(t->dtype()) +
                                ", not float32");
      }
      observed[name].observe(std::span<const float>(t->data<float>(), static_cast<size_t>(t->numel())));
    }
    if (progress) progress(b + 1);
  }
  return observed;
}

}  // namespace fastserve::quant
