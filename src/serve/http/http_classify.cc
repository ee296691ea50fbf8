// The /classify route's work (http_classify.h).
#include "serve/http/http_classify.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <vector>

#include "data/image.h"
#include "data/image_preprocess.h"
#include "data/labels.h"
#include "data/topk.h"
#include "serve/request_log.h"

namespace fastserve::serve {

struct Classifier::ModelEntry {
  std::map<std::string, std::string> metadata;  // what the entry was resolved from
  std::string input_name;
  std::string output_name;
  ImageSpec spec;
  OutputKind kind = OutputKind::kUnknown;
  std::vector<std::string> labels;  // empty: "class <i>"
};

Result<int> parse_topk(std::string_view text) {
  if (text.empty()) return kDefaultTopK;
  int k = 0;
  const auto r = std::from_chars(text.data(), text.data() + text.size(), k);
  if (r.ec != std::errc() || r.ptr != text.data() + text.size() || k < 1 || k > kMaxTopK)
    return invalid_argument("topk must be an integer in [1, " + std::to_string(kMaxTopK) + "], got '" +
                            std::string(text) + "'");
  return k;
}

Result<std::shared_ptr<const Classifier::ModelEntry>> Classifier::entry_for(const ModelInfo& info) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(info.path);
    if (it != cache_.end() && it->second->metadata == info.metadata) return it->second;
  }
  const std::string where = "model '" + info.name + "'";
  if (info.io.inputs.empty()) return invalid_argument(where + " has no inputs to send an image to");
  if (info.io.outputs.empty()) return invalid_argument(where + " has no outputs");
  const TensorMetadata& input = info.io.inputs[0];
  if (input.dtype != DType::kF32)
    return invalid_argument(where + ": input '" + input.name + "' is " + input.datatype +
                            "; classify needs an FP32 image input");
  auto entry = std::make_shared<ModelEntry>();
  entry->metadata = info.metadata;
  entry->input_name = input.name;
  entry->output_name = info.io.outputs[0].name;
  FS_ASSIGN_OR_RETURN(entry->spec, resolve_image_spec(info.metadata, input.name, Shape(input.shape)));
  for (const std::string& w : entry->spec.warnings) log_event(LogLevel::kWarn, where + ": " + w);
  FS_ASSIGN_OR_RETURN(entry->kind, output_kind_from_metadata(info.metadata));
  const std::string labels_path = model_labels_path(info.metadata, info.path);
  if (!labels_path.empty()) {
    Result<std::vector<std::string>> labels = read_labels(labels_path);
    if (labels.ok()) {
      entry->labels = std::move(labels).value();
    } else {
      // Predictions are still useful by index; say once why names are missing.
      log_event(LogLevel::kWarn, where + ": labels unavailable, answering \"class <i>\": " + labels.status().message());
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  cache_[info.path] = entry;
  return std::shared_ptr<const ModelEntry>(std::move(entry));
}

Status Classifier::classify(const ClassifyCall& call, ClassifyResult* result) {
  FS_ASSIGN_OR_RETURN(const int k, parse_topk(call.topk));
  if (call.image_size == 0) return invalid_argument("classify: the request body must be an encoded image (PNG, JPEG, BMP)");
  FS_ASSIGN_OR_RETURN(ModelInfo info, manager_.info(call.model, call.version));
  FS_ASSIGN_OR_RETURN(std::shared_ptr<const ModelEntry> entry, entry_for(info));

  FS_ASSIGN_OR_RETURN(Image image, decode_image_memory(call.image, call.image_size, "request body"));
  FS_ASSIGN_OR_RETURN(Tensor pixels, preprocess_image_to_tensor(image, entry->spec, ResizePolicy::kAuto, "request body",
                                                                entry->input_name));
  InferRequest request;
  request.model = call.model;
  request.version = info.version;  // the version the entry was resolved for
  request.arrival = call.arrival;
  request.inputs.push_back({entry->input_name, std::move(pixels)});
  request.outputs.push_back(entry->output_name);
  FS_ASSIGN_OR_RETURN(InferResponse response, manager_.infer(std::move(request)));
  if (response.outputs.empty()) return internal_error("model '" + call.model + "' returned no output");

  const Tensor& out = response.outputs[0].tensor;
  std::vector<float> scores;
  if (out.dtype() == DType::kF32) {
    scores.assign(out.data<float>(), out.data<float>() + out.numel());
  } else if (dtype_is_float(out.dtype()) || dtype_is_integer(out.dtype())) {
    scores.resize(static_cast<size_t>(out.numel()));
    for (int64_t i = 0; i < out.numel(); ++i) scores[static_cast<size_t>(i)] = static_cast<float>(out.element_as_double(i));
  } else {
    return invalid_argument("model '" + call.model + "': output '" + response.outputs[0].name + "' is " +
                            dtype_v2_name(out.dtype()) + ", not class scores");
  }
  if (scores.empty()) return internal_error("model '" + call.model + "': output '" + response.outputs[0].name + "' is empty");
  const std::vector<TopKEntry> best = top_k(scores, k, entry->kind);

  std::string& body = result->body;
  body.clear();
  body.reserve(64 + 64 * best.size());
  body += "{\"model\":";
  append_json_string(body, response.model.empty() ? call.model : response.model);
  body += ",\"version\":";
  append_json_string(body, response.version);
  body += ",\"predictions\":[";
  for (size_t i = 0; i < best.size(); ++i) {
    if (i > 0) body += ',';
    body += "{\"index\":";
    body += std::to_string(best[i].index);
    body += ",\"label\":";
    append_json_string(body, label_for(entry->labels, best[i].index));
    body += ",\"score\":";
    const float p = best[i].probability;
    body += std::isfinite(p) ? fmt::format("{}", p) : std::string("NaN");
    body += '}';
  }
  body += "]}";
  result->version = response.version;
  result->timing = response.timing;
  return ok_status();
}

}  // namespace fastserve::serve
