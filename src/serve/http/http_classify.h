// POST /v2/models/{m}[/versions/{v}]/classify: an encoded image in, the k
// most likely classes out. The image is decoded and preprocessed the way the
// model's metadata says (src/data/image_preprocess.h), run through the
// model's first input with ModelManager::infer, and the first output is
// read as logits or probabilities (src/data/topk.h) and named with the
// model's label file (src/data/labels.h). Internal to src/serve/http.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fastserve/status.h"
#include "serve/infer_request.h"
#include "serve/model_manager.h"

namespace fastserve::serve {

inline constexpr int kDefaultTopK = 5;
inline constexpr int kMaxTopK = 1000;

struct ClassifyCall {
  std::string model, version;  // version "" = newest ready
  const char* image = nullptr;  // the encoded image (PNG, JPEG, BMP, ...)
  size_t image_size = 0;
  std::string_view topk;  // the ?topk= value; "" = kDefaultTopK
  Clock::time_point arrival = Clock::now();
};

struct ClassifyResult {
  std::string body;     // {"model","version","predictions":[{"index","label","score"}]}
  std::string version;  // the version that ran
  InferTiming timing;
};

// Parses ?topk=: an integer in [1, kMaxTopK]; "" gives kDefaultTopK.
Result<int> parse_topk(std::string_view text);

class Classifier {
 public:
  explicit Classifier(ModelManager& manager) : manager_(manager) {}

  // Errors: kInvalidArgument for a bad image, topk or a model that is not an
  // image classifier (naming what does not fit); the manager's errors as they are.
  Status classify(const ClassifyCall& call, ClassifyResult* result);

 private:
  struct ModelEntry;  // resolved once per model file: image spec, output kind, labels
  Result<std::shared_ptr<const ModelEntry>> entry_for(const ModelInfo& info);

  ModelManager& manager_;
  std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<const ModelEntry>> cache_;  // by model path
};

}  // namespace fastserve::serve
