// `fastserve quantize`: writes a quantized copy of a model as standard ONNX.
//
//   fastserve quantize --model M --output Q.onnx
//       [--activations dynamic|static|none] [--calibration DIR|fashion-mnist [--samples N]]
//       [--method minmax|percentile|entropy] [--percentile 99.99]
//       [--per-channel | --per-tensor] [--symmetric | --asymmetric]
//       [--weights int8|int4] [--block 32] [--exclude NODE,...]
//       [--mixed auto --max-accuracy-drop 0.5] [--no-bench] [--json | --quiet]
//
// --activations defaults to none (weight-only) with --weights int4, to
// static when a calibration set is given, else to dynamic.
// Dynamic INT8 (src/quant/dynamic_quantization.h): every MatMul with a
// float32 constant matrix B becomes DynamicQuantizeLinear -> MatMulInteger
// -> Cast -> Mul, the form ONNX Runtime's quantize_dynamic writes, so ORT
// runs the file too. Prints per layer the weight scales and the weight's
// SNR, the layers kept in float and why, and the initializer bytes before
// and after. Static and weight-only quantization write QDQ form
// (quantize_static_command.cc, src/quant/static_quantization.h).
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/calibration_data.h"
#include "cli/quantize_options.h"
#include "data/fashion_mnist.h"
#include "onnx/onnx_writer.h"
#include "quant/dynamic_quantization.h"

namespace fastserve::cli {
namespace {


std::string mib(int64_t bytes) { return fmt::format("{:.2f} MiB", static_cast<double>(bytes) / (1024.0 * 1024.0)); }

void print_text(const QuantizeOptions& opts, const quant::DynamicQuantReport& r) {
  fmt::print("quantized {} -> {} (dynamic INT8: uint8 activations per run, int8 symmetric weights {})\n", opts.model,
             opts.output, opts.per_channel ? "per output column" : "per tensor");
  fmt::print("  {:<40} {:>12} {:>24} {:>9}\n", "MatMul", "K x N", "weight scale (min..max)", "SNR dB");
  for (const quant::QuantizedLayer& l : r.layers) {
    fmt::print("  {:<40} {:>12} {:>24} {:>9.1f}\n", l.node.empty() ? l.weight : l.node, fmt::format("{}x{}", l.k, l.n),
               fmt::format("{:.3g}..{:.3g}", l.scale_min, l.scale_max), l.snr_db);
  }
  for (const std::string& k : r.kept) fmt::print("  kept in float: {}\n", k);
  fmt::print("layers quantized: {}; initializers {} -> {} ({:.2f}x smaller)\n", r.layers.size(),
             mib(r.weight_bytes_before), mib(r.weight_bytes_after),
             r.weight_bytes_after > 0 ? static_cast<double>(r.weight_bytes_before) / r.weight_bytes_after : 0.0);
}

void print_json(const QuantizeOptions& opts, const quant::DynamicQuantReport& r, const std::string& smooth_json) {
  std::string out = fmt::format("{{\"model\":{},\"output\":{},\"activations\":\"dynamic\",\"per_channel\":{},\"layers\":[",
                                json_string(opts.model), json_string(opts.output), opts.per_channel);
  for (size_t i = 0; i < r.layers.size(); ++i) {
    const quant::QuantizedLayer& l = r.layers[i];
    out += fmt::format("{}{{\"node\":{},\"weight\":{},\"k\":{},\"n\":{},\"scale_min\":{},\"scale_max\":{},\"mse\":{},"
                       "\"snr_db\":{}}}",
                       i ? "," : "", json_string(l.node), json_string(l.weight), l.k, l.n, l.scale_min, l.scale_max,
                       l.mse, std::isfinite(l.snr_db) ? fmt::format("{}", l.snr_db) : "null");
  }
  out += "],\"kept\":[";
  for (size_t i = 0; i < r.kept.size(); ++i) out += (i ? "," : "") + json_string(r.kept[i]);
  out += fmt::format("],\"weight_bytes_before\":{},\"weight_bytes_after\":{}", r.weight_bytes_before,
                     r.weight_bytes_after);
  if (!smooth_json.empty()) out += ",\"smooth_quant\":" + smooth_json;
  out += "}";
  fmt::print("{}\n", out);
}

int run(QuantizeOptions opts) {
  if (opts.per_channel && opts.per_tensor) return report_usage_error("--per-channel and --per-tensor exclude each other");
  if (opts.symmetric && opts.asymmetric) return report_usage_error("--symmetric and --asymmetric exclude each other");
  if (opts.activations.empty()) {
    opts.activations = opts.weights == "int4" ? "none" : (!opts.calibration.empty() ? "static" : "dynamic");
  }
  if (opts.weights == "int4" && opts.activations != "none") {
    return report_usage_error("--weights int4 is weight-only: use --activations none (not " + opts.activations + ")");
  }
  if (opts.activations == "static" && opts.calibration.empty()) {
    return report_usage_error("--activations static needs a calibration set: --calibration DIR|fashion-mnist");
  }
  if (opts.activations == "dynamic" && !opts.calibration.empty() && opts.smooth_alpha == 0) {
    return report_usage_error("--activations dynamic takes its ranges at run time; drop --calibration or use static");
  }
  if (opts.smooth_alpha > 0 && opts.calibration.empty()) {
    return report_usage_error("--smooth-quant takes its channel maxima from a calibration set: give --calibration");
  }
  if (!opts.mixed.empty() && opts.calibration.empty()) {
    return report_usage_error("--mixed auto measures accuracy on the calibration set: give --calibration");
  }
  if (opts.samples < 1) return report_usage_error("--samples must be >= 1");
  if (opts.activations != "dynamic") return run_static_quantize(opts);
  if (opts.weights != "int8") return report_usage_error("dynamic quantization has int8 weights only");
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  std::optional<quant::SmoothReport> smooth;
  if (opts.smooth_alpha > 0) {
    // SmoothQuant before the dynamic rewrite: the channel maxima come from
    // running the float model on the calibration set.
    EngineOptions engine;
    engine.threads = opts.threads;
    Result<std::unique_ptr<Session>> s = create_session(*model, engine);
    if (!s.ok()) return report_error(s.status());
    const std::string dir = opts.data_dir.empty() ? std::string(kFashionMnistDefaultDir) : opts.data_dir;
    Result<CalibrationSet> set = load_calibration_set(opts.calibration, **model, (*s)->inputs(), opts.samples,
                                                      opts.batch, dir);
    if (!set.ok()) return report_error(set.status());
    auto copy = std::make_shared<Model>(**model);
    Result<quant::SmoothReport> r = smooth_model(*copy, set->batches, opts);
    if (!r.ok()) return report_error(r.status());
    smooth = *r;
    *model = copy;
  }
  quant::DynamicQuantOptions qo;
  qo.per_channel = opts.per_channel;
  qo.exclude = opts.exclude;
  Result<quant::DynamicQuantReport> report = quant::quantize_dynamic(**model, qo);
  if (!report.ok()) return report_error(report.status());
  if (Status s = save_onnx_model(**model, opts.output); !s.ok()) return report_error(s);
  if (opts.json) {
    print_json(opts, *report, smooth ? smoothing_json(opts, *smooth) : std::string());
  } else if (!opts.quiet) {
    print_text(opts, *report);
    if (smooth) print_smoothing(opts, *smooth);
  }
  return kExitOk;
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto opts = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand("quantize", "Write an INT8-quantized copy of a model as standard ONNX");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_option("--output,-o", opts->output, "Where to write the quantized model")->required();
  sub->add_option("--activations", opts->activations,
                  "static (calibrated, QDQ), dynamic (per run, MatMuls) or none (weight-only); default: none with "
                  "--weights int4, static with --calibration, else dynamic")
      ->check(CLI::IsMember({"static", "dynamic", "none"}));
  sub->add_option("--calibration", opts->calibration,
                  "Calibration set: fashion-mnist (its training split) or a folder of .npy / image files");
  sub->add_option("--samples", opts->samples, "Calibration samples to use")->default_val(512);
  sub->add_option("--calibration-batch", opts->batch, "Samples per calibration run")->default_val(32)
      ->check(CLI::PositiveNumber);
  sub->add_option("--method", opts->method, "Calibration: minmax, percentile or entropy")
      ->check(CLI::IsMember({"minmax", "percentile", "entropy"}))
      ->default_val("minmax");
  sub->add_option("--percentile", opts->percentile, "For --method percentile: the clipping percentile of |x|")
      ->default_val(99.99)
      ->check(CLI::Range(1e-9, 100.0));
  sub->add_flag("--per-channel", opts->per_channel, "One weight scale per output channel");
  sub->add_flag("--per-tensor", opts->per_tensor, "One weight scale per weight (the default)");
  sub->add_flag("--symmetric", opts->symmetric, "Static: int8 activations with zero point 0");
  sub->add_flag("--asymmetric", opts->asymmetric, "Static: uint8 activations with a zero point (the default)");
  sub->add_option("--weights", opts->weights, "Weight type: int8, or int4 (weight-only, blockwise)")
      ->check(CLI::IsMember({"int8", "int4"}))
      ->default_val("int8");
  sub->add_option("--block", opts->block, "int4: weights per scale along the reduction axis")->default_val(32)
      ->check(CLI::PositiveNumber);
  sub->add_option("--exclude", opts->exclude, "Nodes to keep in float, NODE,...")->delimiter(',');
  sub->add_option("--mixed", opts->mixed, "auto: keep the most sensitive layers in float within --max-accuracy-drop")
      ->check(CLI::IsMember({"auto"}));
  sub->add_option("--max-accuracy-drop", opts->max_accuracy_drop, "--mixed auto: accuracy points allowed to drop")
      ->default_val(0.5)
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--data-dir", opts->data_dir, "Folder with the Fashion-MNIST IDX files");
  sub->add_option("--threads,-t", opts->threads, "Threads for calibration and timing (0 = one per core)")
      ->default_val(0)
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--smooth-quant", opts->smooth_alpha,
                  "SmoothQuant: move activation outliers into the weights with this alpha (0.5 typical; needs "
                  "--calibration)")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_flag("--no-bench", opts->no_bench, "Skip the float-vs-quantized timing");
  sub->add_flag("--json", opts->json, "Print the report as one JSON object");
  sub->add_flag("--quiet,-q", opts->quiet, "Print nothing on success");
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
