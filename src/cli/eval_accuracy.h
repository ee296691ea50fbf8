// Top-1 accuracy of a classifier session on the Fashion-MNIST test set:
// what `fastserve eval` prints, shared with `fastserve prune --eval`.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/cli_common.h"
#include "data/fashion_mnist.h"
#include "data/image_preprocess.h"

namespace fastserve::cli {

struct EvalResult {
  int64_t count = 0;
  int64_t correct = 0;
  int batch = 0;
  double seconds = 0;
  std::vector<uint8_t> predictions;
  double accuracy() const { return count > 0 ? static_cast<double>(correct) / static_cast<double>(count) : 0.0; }
};

// Checks that the model has one float input and returns its image spec and
// batch size (the model's own when its batch dim is fixed).
Status check_model(const Session& sess, const Model& model, int requested_batch, ImageSpec* spec, int* batch);

// Runs the first `count` images of `ds` in batches, with the model's
// preprocessing, and counts the top-1 hits.
Result<EvalResult> evaluate(const Session& sess, const Dataset& ds, int64_t count, const ImageSpec& spec,
                            int batch, bool show_progress);

// The whole test set (t10k from data_dir; `limit` > 0 takes the first
// images only) through a new session of `model`.
Result<EvalResult> fashion_mnist_accuracy(std::shared_ptr<const Model> model, const EngineOptions& engine,
                                          const std::string& data_dir, int64_t limit, int batch);

}  // namespace fastserve::cli
