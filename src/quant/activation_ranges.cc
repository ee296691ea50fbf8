// observe_activations and the calibration runner under it (see activation_ranges.h).
#include "quant/activation_ranges.h"

#include <memory>
#include <set>

namespace fastserve::quant {

Status for_each_calibration_tensor(const Model& model, const std::vector<std::string>& tensors,
                                   std::span<const CalibrationBatch> batches, int num_threads,
                                   const std::function<Status(const std::string&, const Tensor&)>& visit,
                                   const std::function<void(size_t)>& progress) {
  const std::string who = model.display_name();
  if (batches.empty()) return invalid_argument(who + ": the calibration set is empty");
  auto copy = std::make_shared<Model>(model);
  Graph& g = copy->graph;
  const std::set<ValueId> graph_inputs(g.inputs.begin(), g.inputs.end());
  // Where each tensor comes from: a graph output slot, or (graph inputs) the batch itself.
  std::map<std::string, size_t> output_slot;
  for (size_t i = 0; i < g.outputs.size(); ++i) output_slot[g.values[static_cast<size_t>(g.outputs[i])].name] = i;
  std::vector<bool> is_input(tensors.size(), false);
  for (size_t i = 0; i < tensors.size(); ++i) {
    const ValueId v = g.find_value(tensors[i]);
    if (v == kNoValue) return invalid_argument(who + ": calibration tensor '" + tensors[i] + "' is not in the model");
    if (graph_inputs.count(v)) {
      is_input[i] = true;
    } else if (!output_slot.count(tensors[i])) {
      output_slot[tensors[i]] = g.outputs.size();
      g.outputs.push_back(v);
    }
  }
  SessionOptions so;
  so.num_threads = num_threads;
  so.optimization_level = 0;  // unoptimized, so every named tensor exists
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, Session::create(copy, so));
  for (size_t b = 0; b < batches.size(); ++b) {
    Result<std::vector<NamedTensor>> outs = session->run(batches[b]);
    if (!outs.ok()) return outs.status().with_context(who + ": calibration batch " + std::to_string(b));
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor* t = nullptr;
      if (is_input[i]) {
        for (const NamedTensor& in : batches[b]) {
          if (in.name == tensors[i]) t = &in.tensor;
        }
        if (t == nullptr) {
          return invalid_argument(who + ": calibration batch " + std::to_string(b) + " has no input '" + tensors[i] +
                                  "'");
        }
      } else {
        t = &(*outs)[output_slot.at(tensors[i])].tensor;
      }
      if (t->dtype() != DType::kF32) {
        return invalid_argument(who + ": calibration tensor '" + tensors[i] + "' is " + dtype_name(t->dtype()) +
                                ", not float32");
      }
      FS_RETURN_IF_ERROR(visit(tensors[i], *t));
    }
    if (progress) progress(b + 1);
  }
  return ok_status();
}

Result<std::map<std::string, RangeObserver>> observe_activations(
    const Model& model, const std::vector<std::string>& tensors, std::span<const CalibrationBatch> batches,
    int num_threads, const std::function<void(size_t)>& progress) {
  std::map<std::string, RangeObserver> observed;
  FS_RETURN_IF_ERROR(for_each_calibration_tensor(
      model, tensors, batches, num_threads,
      [&](const std::string& name, const Tensor& t) {
        observed[name].observe(std::span<const float>(t.data<float>(), static_cast<size_t>(t.numel())));
        return ok_status();
      },
      progress));
  return observed;
}

}  // namespace fastserve::quant
