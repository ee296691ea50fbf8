// Calibration runs: the float model run over a calibration set, with the
// range of each tensor a quantization plan needs observed along the way.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "quant/calibration.h"

namespace fastserve::quant {

// One run's inputs, by graph input name.
using CalibrationBatch = std::vector<NamedTensor>;

// Runs `model` unoptimized (so every named tensor exists) on each batch and
// calls visit(name, value) for each tensor in `tensors`, every batch (graph
// inputs come from the batch itself). The one calibration runner behind
// observe_activations and SmoothQuant's channel maxima. Errors: an empty
// set, a name the model lacks, a tensor that is not float32, a failing run
// (with the batch's index), or visit's own.
Status for_each_calibration_tensor(const Model& model, const std::vector<std::string>& tensors,
                                   std::span<const CalibrationBatch> batches, int num_threads,
                                   const std::function<Status(const std::string&, const Tensor&)>& visit,
                                   const std::function<void(size_t)>& progress = {});

// Runs `model` (unoptimized, so every named tensor exists) on each batch
// and feeds every value of each tensor in `tensors` to its observer. Graph
// inputs are observed from the batch itself. `progress(done)` is called
// after each batch when set. Errors: an empty calibration set, a tensor
// name the model lacks, a tensor that is not float32, a failing run (with
// the batch's index).
Result<std::map<std::string, RangeObserver>> observe_activations(
    const Model& model, const std::vector<std::string>& tensors, std::span<const CalibrationBatch> batches,
    int num_threads, const std::function<void(size_t)>& progress = {});

}  // namespace fastserve::quant
