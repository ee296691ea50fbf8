// `fastserve run`: one inference on an image or .npy tensors.
//
//   fastserve run --model M --input photo.png [--topk 5] [--labels L] [--json]
//   fastserve run --model M --input a=a.npy --input b=b.npy [--output y.npy]
//
// Images are decoded, converted to the model's channels, resized (unless
// --resize never) and normalized as the model's metadata says
// (data/image_preprocess.h). A single [1, classes] (or [classes]) float
// output is read as a classifier: top-k with labels. Anything else prints
// each output's name, shape and min/max/mean.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "cli/npy_input.h"
#include "core/npy.h"
#include "data/image_preprocess.h"
#include "data/labels.h"
#include "data/topk.h"

namespace fastserve::cli {
namespace {

struct RunOptions {
  EngineOptions engine;
  std::string model;
  std::vector<std::string> inputs;
  std::string labels;
  int topk = 5;
  bool json = false;
  std::string output;
  std::string resize = "auto";
  std::string mean;
  std::string std;
};

bool has_npy_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  return ext == ".npy";
}

std::string input_names(const std::vector<IoInfo>& inputs) {
  std::string s;
  for (const IoInfo& in : inputs) s += (s.empty() ? "" : ", ") + in.name;
  return s;
}

// Pairs every model input with a file: "name=file" or, for a one-input
// model, a bare file. A prefix before '=' that names no input is taken as
// part of the file name (files may contain '=').
Result<std::map<std::string, std::string>> assign_inputs(const std::vector<std::string>& args,
                                                         const std::vector<IoInfo>& inputs) {
  std::map<std::string, std::string> files;
  auto is_input = [&](const std::string& name) {
    return std::any_of(inputs.begin(), inputs.end(), [&](const IoInfo& in) { return in.name == name; });
  };
  for (const std::string& arg : args) {
    std::string name, file = arg;
    size_t eq = arg.find('=');
    if (eq != std::string::npos && is_input(arg.substr(0, eq))) {
      name = arg.substr(0, eq);
      file = arg.substr(eq + 1);
    } else if (eq != std::string::npos && !std::filesystem::exists(arg)) {
      return invalid_argument("--input " + arg + ": the model has no input '" + arg.substr(0, eq) +
                              "' (inputs: " + input_names(inputs) + ")");
    } else if (inputs.size() == 1) {
      name = inputs[0].name;
    } else {
      return invalid_argument("the model has " + std::to_string(inputs.size()) + " inputs (" +
                              input_names(inputs) + "): give each as --input name=file");
    }
    if (!files.emplace(name, file).second) return invalid_argument("input '" + name + "' given twice");
  }
  for (const IoInfo& in : inputs) {
    if (!files.count(in.name)) {
      return invalid_argument("no --input for model input '" + in.name + "' (inputs: " + input_names(inputs) + ")");
    }
  }
  return files;
}

Result<Tensor> load_image_input(const std::string& file, const IoInfo& info, const Model& model,
                                 const RunOptions& opts) {
  FS_ASSIGN_OR_RETURN(Image image, decode_image_file(file));
  if (info.dtype != DType::kF32) {
    return unsupported(file + ": model input '" + info.name + "' is " + dtype_name(info.dtype) +
                       "; images can only feed float32 inputs");
  }
  ImageSpecOverrides overrides;
  // The validators already checked these parse.
  if (!opts.mean.empty()) overrides.mean = parse_float_list(opts.mean, "--mean").value();
  if (!opts.std.empty()) overrides.std = parse_float_list(opts.std, "--std").value();
  FS_ASSIGN_OR_RETURN(ImageSpec spec, resolve_image_spec(model.metadata, info.name, info.shape, overrides));
  for (const std::string& w : spec.warnings) spdlog::warn("{}", w);
  if (info.shape_known && info.shape.rank() == 4 && info.shape[0] != kUnknownDim && info.shape[0] != 1) {
    return invalid_argument(file + ": model input '" + info.name + "' has a fixed batch of " +
                            std::to_string(info.shape[0]) + "; an image is a batch of 1 (use a .npy input)");
  }
  const ResizePolicy policy = opts.resize == "never" ? ResizePolicy::kNever : ResizePolicy::kAuto;
  spdlog::debug("{}: {}x{}x{} -> {} {}x{}x{}", file, image.width, image.height, image.channels,
                tensor_layout_name(spec.layout), spec.channels, spec.height, spec.width);
  return preprocess_image_to_tensor(image, spec, policy, file, info.name);
}

// A single float output of shape [classes] or [1, classes].
bool is_classifier(const std::vector<NamedTensor>& outputs) {
  if (outputs.size() != 1) return false;
  const Tensor& t = outputs[0].tensor;
  if (t.dtype() != DType::kF32 || t.numel() < 1) return false;
  return t.rank() == 1 || (t.rank() == 2 && t.dim(0) == 1);
}

Result<std::vector<std::string>> resolve_labels(const RunOptions& opts, const Model& model) {
  if (!opts.labels.empty()) return read_labels(opts.labels);
  std::string path = model_labels_path(model.metadata, opts.model);
  if (path.empty()) return std::vector<std::string>{};
  Result<std::vector<std::string>> labels = read_labels(path);
  if (!labels.ok()) {
    spdlog::warn("model metadata names label file {}: {}; printing class indices", path, labels.status().message());
    return std::vector<std::string>{};
  }
  return labels;
}

int run(const RunOptions& opts) {
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  Result<std::unique_ptr<Session>> session = create_session(*model, opts.engine);
  if (!session.ok()) return report_error(session.status());
  const Session& sess = **session;

  Result<std::map<std::string, std::string>> files = assign_inputs(opts.inputs, sess.inputs());
  if (!files.ok()) return report_error(files.status());
  std::vector<NamedTensor> inputs;
  for (const IoInfo& info : sess.inputs()) {
    const std::string& file = files->at(info.name);
    Result<Tensor> t = has_npy_extension(file) ? load_npy_input(file, info) : load_image_input(file, info, **model, opts);
    if (!t.ok()) return report_error(t.status());
    inputs.push_back({info.name, std::move(t).value()});
  }

  const auto t0 = std::chrono::steady_clock::now();
  Result<std::vector<NamedTensor>> outputs = sess.run(inputs);
  const double latency_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  if (!outputs.ok()) return report_error(outputs.status());
  if (outputs->empty()) return report_error(internal_error("the model produced no outputs"));

  if (!opts.output.empty()) {
    Status s = write_npy(opts.output, (*outputs)[0].tensor);
    if (!s.ok()) return report_error(s);
  }

  std::vector<TopKEntry> top;
  std::vector<std::string> labels;
  if (is_classifier(*outputs)) {
    Result<OutputKind> kind = output_kind_from_metadata((*model)->metadata);
    if (!kind.ok()) return report_error(kind.status());
    Result<std::vector<std::string>> l = resolve_labels(opts, **model);
    if (!l.ok()) return report_error(l.status());
    labels = std::move(l).value();
    const Tensor& t = (*outputs)[0].tensor;
    const std::span<const float> scores(t.data<float>(), static_cast<size_t>(t.numel()));
    if (!labels.empty() && labels.size() != scores.size()) {
      spdlog::warn("{} labels for {} classes", labels.size(), scores.size());
    }
    top = top_k(scores, opts.topk, *kind);
  }

  if (opts.json) {
    std::string out = "{\"model\":" + json_string(opts.model) + ",\"outputs\":[";
    for (size_t i = 0; i < outputs->size(); ++i) {
      const Tensor& t = (*outputs)[i].tensor;
      TensorSummary s = summarize(t);
      out += fmt::format("{}{{\"name\":{},\"dtype\":{},\"shape\":{},\"min\":{},\"max\":{},\"mean\":{}}}",
                         i ? "," : "", json_string((*outputs)[i].name), json_string(dtype_name(t.dtype())),
                         json_shape(true, t.shape(), {}), json_number(s.min), json_number(s.max),
                         json_number(s.mean));
    }
    out += "]";
    if (is_classifier(*outputs)) {
      out += ",\"topk\":[";
      for (size_t i = 0; i < top.size(); ++i) {
        out += fmt::format("{}{{\"index\":{},\"label\":{},\"probability\":{}}}", i ? "," : "", top[i].index,
                           json_string(label_for(labels, top[i].index)), json_number(top[i].probability));
      }
      out += "]";
    }
    out += ",\"latency_ms\":" + json_number(latency_ms) + "}";
    fmt::print("{}\n", out);
    return kExitOk;
  }

  if (is_classifier(*outputs)) {
    const NamedTensor& o = (*outputs)[0];
    fmt::print("{}: {}{}\n", o.name, dtype_name(o.tensor.dtype()), o.tensor.shape().to_string());
    fmt::print("top-{}:\n", top.size());
    size_t width = 0;
    for (const TopKEntry& e : top) width = std::max(width, label_for(labels, e.index).size());
    for (size_t i = 0; i < top.size(); ++i) {
      fmt::print("  {}. {:<{}}  {:7.3f}%  (class {})\n", i + 1, label_for(labels, top[i].index), width,
                 100.0 * top[i].probability, top[i].index);
    }
  } else {
    fmt::print("outputs:\n");
    for (const NamedTensor& o : *outputs) {
      TensorSummary s = summarize(o.tensor);
      fmt::print("  {}: {}{}  min {:.6g}  max {:.6g}  mean {:.6g}\n", o.name, dtype_name(o.tensor.dtype()),
                 o.tensor.shape().to_string(), s.min, s.max, s.mean);
    }
  }
  fmt::print("latency: {:.3f} ms\n", latency_ms);
  return kExitOk;
}

}  // namespace

Command add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* sub = app.add_subcommand("run", "Run a model once on an image or .npy tensors");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_option("--input,-i", opts->inputs,
                  "Image (PNG/JPEG/BMP/...) or .npy file; name=file for models with several inputs")
      ->required();
  sub->add_option("--labels", opts->labels, "Label file, one class name per line (default: the model's metadata)");
  sub->add_option("--topk,-k", opts->topk, "Number of classes to print")->check(CLI::Range(1, 1 << 20))->default_val(5);
  sub->add_flag("--json", opts->json, "Print one JSON object instead of text");
  sub->add_option("--output,-o", opts->output, "Write the first output to this .npy file");
  sub->add_option("--resize", opts->resize, "Resize images to the model's size (auto) or fail on a mismatch (never)")
      ->check(CLI::IsMember({"auto", "never"}))
      ->default_val("auto");
  sub->add_option("--mean", opts->mean, "Image mean after pixel/255, one value or one per channel (overrides metadata)")
      ->check(float_list_validator());
  sub->add_option("--std", opts->std, "Image std after pixel/255, one value or one per channel (overrides metadata)")
      ->check(float_list_validator());
  add_engine_options(*sub, opts->engine);
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
