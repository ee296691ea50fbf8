// `fastserve prune`: writes a pruned copy of a model as standard ONNX.
//
//   fastserve prune --model M --output P.onnx --method magnitude|channel|2:4
//       [--sparsity 0.7] [--scope global|layer] [--per-layer NODE=S,...]
//       [--exclude NODE,...] [--eval fashion-mnist [--limit N]] [--json | --quiet]
//
// The methods are src/prune/ (prune.h). Prints per layer its sparsity (or,
// for channel pruning, the channels kept), the layers left alone and why,
// the initializer and file sizes before and after, and with --eval the
// top-1 accuracy of both models on the Fashion-MNIST test set.
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/eval_accuracy.h"
#include "onnx/onnx_writer.h"
#include "prune/prune.h"

namespace fastserve::cli {
namespace {

struct PruneCliOptions {
  EngineOptions engine;
  std::string model, output, method;
  std::optional<double> sparsity;
  std::string scope = "global";
  std::vector<std::string> per_layer;  // NODE=S
  std::vector<std::string> exclude;
  std::string eval;
  std::string data_dir = std::string(kFashionMnistDefaultDir);
  int64_t limit = 0;
  bool json = false;
  bool quiet = false;
};

struct Accuracy {
  double before = 0, after = 0;
  int64_t count = 0;
};

int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(size);
}

Result<std::map<std::string, double>> parse_per_layer(const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const std::string& item : items) {
    const size_t eq = item.rfind('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == item.size()) {
      return invalid_argument("--per-layer '" + item + "' is not NODE=SPARSITY");
    }
    const std::string value = item.substr(eq + 1);
    size_t used = 0;
    double s = 0;
    try {
      s = std::stod(value, &used);
    } catch (...) {
      used = 0;
    }
    if (used != value.size()) return invalid_argument("--per-layer '" + item + "': '" + value + "' is not a number");
    out[item.substr(0, eq)] = s;
  }
  return out;
}

std::string pct(double f) { return fmt::format("{:.1f}%", 100.0 * f); }

void print_text(const PruneCliOptions& opts, const prune::PruneOptions& po, const prune::PruneReport& r,
                int64_t file_before, int64_t file_after, const std::optional<Accuracy>& acc) {
  const bool channel = po.method == prune::PruneMethod::kChannel;
  std::string how = prune::prune_method_name(po.method);
  if (po.method == prune::PruneMethod::kMagnitude) how += po.global ? ", global" : ", per layer";
  if (po.method != prune::PruneMethod::kTwoFour) how += fmt::format(", sparsity {:.2f}", po.sparsity);
  fmt::print("pruned {} -> {} ({})\n", opts.model, opts.output, how);
  // The layer column as wide as the longest name (ResNet's are 45+).
  size_t w = 44;
  for (const prune::PrunedLayer& l : r.layers) w = std::max(w, l.node.size());
  if (channel) {
    fmt::print("  {:<{}} {:<6} {:>16} {:>10}  {}\n", "layer", w, "op", "channels kept", "weights", "residual group");
  } else {
    fmt::print("  {:<{}} {:<6} {:>10} {:>9}\n", "layer", w, "op", "weights", "sparsity");
  }
  for (const prune::PrunedLayer& l : r.layers) {
    if (channel) {
      fmt::print("  {:<{}} {:<6} {:>16} {:>10}  {}\n", l.node, w, l.op,
                 fmt::format("{} / {}", l.channels_after, l.channels_before), l.numel,
                 l.channel_group.empty() ? std::string("-")
                                         : fmt::format("{} ({} layers)", l.channel_group, l.group_size));
    } else {
      fmt::print("  {:<{}} {:<6} {:>10} {:>9}\n", l.node, w, l.op, l.numel, pct(l.sparsity()));
    }
  }
  for (const std::string& k : r.kept) fmt::print("  kept: {}\n", k);
  if (po.method == prune::PruneMethod::kMagnitude && po.global && r.threshold > 0) {
    fmt::print("global threshold: |w| < {:.4g} became 0 (ties at it in layer order)\n", r.threshold);
  }
  const double zero_frac = r.weights_after > 0 ? static_cast<double>(r.zeros_after) / r.weights_after : 0.0;
  fmt::print("prunable weights: {} -> {}, {} zero\n", r.weights_before, r.weights_after, pct(zero_frac));
  fmt::print("initializers: {} -> {}; file: {} -> {}\n", human_bytes(static_cast<double>(r.bytes_before)),
             human_bytes(static_cast<double>(r.bytes_after)), human_bytes(static_cast<double>(file_before)),
             human_bytes(static_cast<double>(file_after)));
  if (acc) {
    fmt::print("accuracy (fashion-mnist t10k, {} images): {:.4f} -> {:.4f} ({:+.2f} points)\n", acc->count,
               acc->before, acc->after, 100.0 * (acc->after - acc->before));
  }
}

void print_json(const PruneCliOptions& opts, const prune::PruneOptions& po, const prune::PruneReport& r,
                int64_t file_before, int64_t file_after, const std::optional<Accuracy>& acc) {
  std::string out = fmt::format("{{\"model\":{},\"output\":{},\"method\":{},\"sparsity\":{},\"global\":{},\"layers\":[",
                                json_string(opts.model), json_string(opts.output),
                                json_string(prune::prune_method_name(po.method)), json_number(po.sparsity), po.global);
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const prune::PrunedLayer& l = r.layers[i];
    out += fmt::format("{}{{\"node\":{},\"op\":{},\"weight\":{},\"weights\":{},\"zeros\":{},\"sparsity\":{}", i ? "," : "",
                       json_string(l.node), json_string(l.op), json_string(l.weight), l.numel, l.zeros,
                       json_number(l.sparsity()));
    if (po.method == prune::PruneMethod::kChannel) {
      out += fmt::format(",\"channels_before\":{},\"channels_after\":{}", l.channels_before, l.channels_after);
      if (!l.channel_group.empty()) {
        out += fmt::format(",\"channel_group\":{},\"group_size\":{}", json_string(l.channel_group), l.group_size);
      }
    }
    out += "}";
  }
  out += "],\"kept\":[";
  for (size_t i = 0; i < r.kept.size(); ++i) out += (i ? "," : "") + json_string(r.kept[i]);
  out += fmt::format("],\"weights_before\":{},\"weights_after\":{},\"zeros_after\":{},\"bytes_before\":{},"
                     "\"bytes_after\":{},\"file_bytes_before\":{},\"file_bytes_after\":{}",
                     r.weights_before, r.weights_after, r.zeros_after, r.bytes_before, r.bytes_after, file_before,
                     file_after);
  if (acc) {
    out += fmt::format(",\"eval\":{{\"dataset\":\"fashion-mnist\",\"count\":{},\"accuracy_before\":{},"
                       "\"accuracy_after\":{}}}",
                       acc->count, json_number(acc->before), json_number(acc->after));
  }
  fmt::print("{}}}\n", out);
}

int run(const PruneCliOptions& opts) {
  Result<prune::PruneMethod> method = prune::parse_prune_method(opts.method);
  if (!method.ok()) return report_usage_error(method.status().message());
  prune::PruneOptions po;
  po.method = *method;
  if (po.method == prune::PruneMethod::kTwoFour) {
    if (opts.sparsity && *opts.sparsity != 0.5) {
      return report_usage_error(fmt::format("2:4 pruning has sparsity 0.5; drop --sparsity {}", *opts.sparsity));
    }
    po.sparsity = 0.5;
  } else {
    if (!opts.sparsity) return report_usage_error(std::string("--method ") + opts.method + " needs --sparsity S");
    po.sparsity = *opts.sparsity;
  }
  if (opts.scope != "global" && po.method != prune::PruneMethod::kMagnitude) {
    return report_usage_error("--scope applies to magnitude pruning only");
  }
  po.global = opts.scope == "global";
  Result<std::map<std::string, double>> per_layer = parse_per_layer(opts.per_layer);
  if (!per_layer.ok()) return report_usage_error(per_layer.status().message());
  po.per_layer = *per_layer;
  po.exclude = opts.exclude;

  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  // The original stays as loaded (for --eval); the copy shares its weights
  // until a method writes one (prunable.h copies before writing).
  auto pruned = std::make_shared<Model>(**model);
  Result<prune::PruneReport> report = prune::prune_model(*pruned, po);
  if (!report.ok()) return report_error(report.status());
  if (Status s = save_onnx_model(*pruned, opts.output); !s.ok()) return report_error(s);

  std::optional<Accuracy> acc;
  if (!opts.eval.empty()) {
    Result<EvalResult> before = fashion_mnist_accuracy(*model, opts.engine, opts.data_dir, opts.limit, 64);
    if (!before.ok()) return report_error(before.status());
    // The written file, so what is measured is what was saved.
    Result<std::shared_ptr<Model>> reloaded = load_model(opts.output);
    if (!reloaded.ok()) return report_error(reloaded.status());
    Result<EvalResult> after = fashion_mnist_accuracy(*reloaded, opts.engine, opts.data_dir, opts.limit, 64);
    if (!after.ok()) return report_error(after.status());
    acc = Accuracy{before->accuracy(), after->accuracy(), after->count};
  }
  const int64_t file_before = file_bytes(opts.model), file_after = file_bytes(opts.output);
  if (opts.json) {
    print_json(opts, po, *report, file_before, file_after, acc);
  } else if (!opts.quiet) {
    print_text(opts, po, *report, file_before, file_after, acc);
  }
  return kExitOk;
}

}  // namespace

Command add_prune_command(CLI::App& app) {
  auto opts = std::make_shared<PruneCliOptions>();
  CLI::App* sub = app.add_subcommand("prune", "Write a pruned copy of a model (magnitude, channel or 2:4) as standard ONNX");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_option("--output,-o", opts->output, "Where to write the pruned model")->required();
  sub->add_option("--method", opts->method,
                  "magnitude (unstructured), channel (removes filters, rewrites consumers) or 2:4")
      ->required();
  sub->add_option("--sparsity", opts->sparsity,
                  "Fraction of weights (magnitude) or output channels (channel) to remove, in [0, 1)");
  sub->add_option("--scope", opts->scope, "magnitude: one threshold over all layers (global) or per layer")
      ->check(CLI::IsMember({"global", "layer"}))
      ->default_val("global");
  sub->add_option("--per-layer", opts->per_layer, "Per-layer sparsity overrides, NODE=S,...")->delimiter(',');
  sub->add_option("--exclude", opts->exclude, "Layers to leave unpruned, NODE,...")->delimiter(',');
  sub->add_option("--eval", opts->eval, "Measure accuracy before and after on this test set")
      ->check(CLI::IsMember({"fashion-mnist"}));
  sub->add_option("--data-dir", opts->data_dir, "Folder with the Fashion-MNIST IDX files")
      ->default_val(std::string(kFashionMnistDefaultDir));
  sub->add_option("--limit", opts->limit, "--eval: only the first N test images (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
  sub->add_flag("--json", opts->json, "Print the report as one JSON object");
  sub->add_flag("--quiet,-q", opts->quiet, "Print nothing on success");
  add_engine_options(*sub, opts->engine);
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
