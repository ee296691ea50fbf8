// `fastserve quantize`: writes a quantized copy of a model as standard ONNX.
//
//   fastserve quantize --model M --output Q.onnx [--activations dynamic]
//                      [--per-channel | --per-tensor] [--exclude NODE,...] [--json | --quiet]
//
// Dynamic INT8 (src/quant/dynamic_quantization.h): every MatMul with a
// float32 constant matrix B becomes DynamicQuantizeLinear -> MatMulInteger
// -> Cast -> Mul, the form ONNX Runtime's quantize_dynamic writes, so ORT
// runs the file too. Prints per layer the weight scales and the weight's
// SNR, the layers kept in float and why, and the initializer bytes before
// and after. Static quantization (calibration) is not built yet: asking
// for it is an error that says so.
#include <fmt/format.h>

#include <cmath>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "onnx/onnx_writer.h"
#include "quant/dynamic_quantization.h"

namespace fastserve::cli {
namespace {

struct QuantizeOptions {
  std::string model, output;
  std::string activations = "dynamic";
  bool per_channel = false, per_tensor = false;
  std::vector<std::string> exclude;
  bool json = false, quiet = false;
};

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

void print_json(const QuantizeOptions& opts, const quant::DynamicQuantReport& r) {
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
  out += fmt::format("],\"weight_bytes_before\":{},\"weight_bytes_after\":{}}}", r.weight_bytes_before,
                     r.weight_bytes_after);
  fmt::print("{}\n", out);
}

int run(const QuantizeOptions& opts) {
  if (opts.activations != "dynamic") {
    return report_usage_error("--activations " + opts.activations +
                              ": only dynamic quantization is built so far (static INT8 with a calibration set is not)");
  }
  if (opts.per_channel && opts.per_tensor) return report_usage_error("--per-channel and --per-tensor exclude each other");
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  quant::DynamicQuantOptions qo;
  qo.per_channel = opts.per_channel;
  qo.exclude = opts.exclude;
  Result<quant::DynamicQuantReport> report = quant::quantize_dynamic(**model, qo);
  if (!report.ok()) return report_error(report.status());
  if (Status s = save_onnx_model(**model, opts.output); !s.ok()) return report_error(s);
  if (opts.json) {
    print_json(opts, *report);
  } else if (!opts.quiet) {
    print_text(opts, *report);
  }
  return kExitOk;
}

}  // namespace

Command add_quantize_command(CLI::App& app) {
  auto opts = std::make_shared<QuantizeOptions>();
  CLI::App* sub = app.add_subcommand("quantize", "Write an INT8-quantized copy of a model as standard ONNX");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_option("--output,-o", opts->output, "Where to write the quantized model")->required();
  sub->add_option("--activations", opts->activations, "How activations are quantized: dynamic (per run)")
      ->default_val("dynamic");
  sub->add_flag("--per-channel", opts->per_channel, "One weight scale per output column");
  sub->add_flag("--per-tensor", opts->per_tensor, "One weight scale per weight (the default)");
  sub->add_option("--exclude", opts->exclude, "MatMul nodes to keep in float, NODE,...")->delimiter(',');
  sub->add_flag("--json", opts->json, "Print the report as one JSON object");
  sub->add_flag("--quiet,-q", opts->quiet, "Print nothing on success");
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
