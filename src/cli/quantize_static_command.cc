// `fastserve quantize` with --activations static (QDQ INT8 from a
// calibration set) or none (weight-only INT8 / INT4):
//
//   1. the model is simplified with standard-ONNX passes only (constant
//      folding, BatchNorm folded into Conv), as ORT's quant_pre_process does;
//   2. the float model runs over the calibration set and every tensor the
//      plan quantizes gets its range observed (quant/activation_ranges.h);
//   3. with --mixed auto, layers go back to float, most sensitive first,
//      until the accuracy on the calibration set is within the budget;
//   4. the QDQ model is written, and the report printed: per-layer weight
//      scales and SNR, activation ranges, output agreement with float on the
//      calibration set, file sizes, and whether it runs faster than float
//      on this machine (a short timing of both, batch 1, unless --no-bench).
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "cli/calibration_data.h"
#include "cli/progress_bar.h"
#include "cli/quantize_options.h"
#include "core/cpu_features.h"
#include "data/fashion_mnist.h"
#include "core/thread_pool.h"
#include "onnx/onnx_writer.h"
#include "quant/activation_ranges.h"
#include "quant/mixed_precision.h"
#include "quant/smooth_quant.h"
#include "quant/static_quantization.h"
#include "runtime/kernel_registry.h"
#include "runtime/optimize_model.h"

namespace fastserve::cli {
namespace {

struct Quality {
  double cosine = 1, snr_db = 0;  // output 0 against float, over the calibration set
  double top1_agreement = 100;    // % of rows whose argmax matches float's
  double accuracy = -1;           // % against the labels (-1: no labels)
};

struct Timing {
  double float_ms = 0, quantized_ms = 0;
  int64_t rows = 1;
  bool ran = false;
};

// Output 0 of every calibration batch.
Result<std::vector<Tensor>> run_set(const Session& s, const CalibrationSet& set) {
  std::vector<Tensor> out;
  out.reserve(set.batches.size());
  for (const quant::CalibrationBatch& b : set.batches) {
    FS_ASSIGN_OR_RETURN(std::vector<NamedTensor> y, s.run(b));
    if (y.empty() || y[0].tensor.dtype() != DType::kF32) {
      return invalid_argument("quantize: the model's first output is not float32, so agreement cannot be measured");
    }
    out.push_back(std::move(y[0].tensor));
  }
  return out;
}

// Argmax over the last dim of each row.
std::vector<int64_t> top1(const std::vector<Tensor>& ys) {
  std::vector<int64_t> out;
  for (const Tensor& y : ys) {
    const int64_t cols = y.rank() == 0 ? 1 : y.dim(y.rank() - 1);
    const int64_t rows = cols > 0 ? y.numel() / cols : 0;
    for (int64_t r = 0; r < rows; ++r) {
      const float* p = y.data<float>() + r * cols;
      out.push_back(std::max_element(p, p + cols) - p);
    }
  }
  return out;
}

Quality compare(const std::vector<Tensor>& ref, const std::vector<Tensor>& got, const std::vector<int>& labels) {
  Quality q;
  double ab = 0, aa = 0, bb = 0, err = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    for (int64_t k = 0; k < ref[i].numel() && k < got[i].numel(); ++k) {
      const double a = ref[i].data<float>()[k], b = got[i].data<float>()[k];
      ab += a * b;
      aa += a * a;
      bb += b * b;
      err += (a - b) * (a - b);
    }
  }
  q.cosine = aa > 0 && bb > 0 ? ab / std::sqrt(aa * bb) : 1.0;
  q.snr_db = err > 0 ? 10 * std::log10(aa / err) : INFINITY;
  const std::vector<int64_t> tr = top1(ref), tg = top1(got);
  int64_t same = 0, correct = 0;
  for (size_t i = 0; i < tr.size() && i < tg.size(); ++i) same += tr[i] == tg[i];
  q.top1_agreement = tr.empty() ? 100 : 100.0 * static_cast<double>(same) / static_cast<double>(tr.size());
  // Labels count the real samples; fixed-batch runs may pad the last batch.
  if (!labels.empty()) {
    for (size_t i = 0; i < labels.size() && i < tg.size(); ++i) correct += tg[i] == labels[i];
    q.accuracy = 100.0 * static_cast<double>(correct) / static_cast<double>(labels.size());
  }
  return q;
}

double accuracy_of(const std::vector<Tensor>& ys, const std::vector<Tensor>& ref, const std::vector<int>& labels) {
  const Quality q = compare(ref, ys, labels);
  return labels.empty() ? q.top1_agreement : q.accuracy;
}

// Batch-1 inputs: the first row of the first calibration batch (all of it
// when an input's batch dim is fixed).
quant::CalibrationBatch timing_inputs(const CalibrationSet& set, const std::vector<IoInfo>& inputs) {
  quant::CalibrationBatch out;
  for (const NamedTensor& t : set.batches.front()) {
    bool symbolic = false;
    for (const IoInfo& in : inputs) {
      if (in.name == t.name) symbolic = in.shape_known && in.shape.rank() > 0 && in.shape[0] == kUnknownDim;
    }
    if (!symbolic || t.tensor.rank() == 0 || t.tensor.dim(0) <= 1) {
      out.push_back(t);
      continue;
    }
    std::vector<int64_t> dims = t.tensor.shape().dims();
    dims[0] = 1;
    Tensor row = Tensor::empty(t.tensor.dtype(), Shape(dims));
    std::memcpy(row.raw_data(), t.tensor.raw_data(), row.nbytes());
    out.push_back(NamedTensor{t.name, std::move(row)});
  }
  return out;
}

// Median of runs, after warm-up, for about `budget_s` seconds (at least 5 runs).
Result<double> median_ms(const Session& s, const quant::CalibrationBatch& in, double budget_s) {
  for (int i = 0; i < 3; ++i) FS_RETURN_IF_ERROR(s.run(in).status());
  std::vector<double> ms;
  const auto start = std::chrono::steady_clock::now();
  while (ms.size() < 5 || (ms.size() < 200 && std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() < budget_s)) {
    const auto t0 = std::chrono::steady_clock::now();
    FS_RETURN_IF_ERROR(s.run(in).status());
    ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

int64_t file_bytes(const std::string& path) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(path, ec);
  return ec ? -1 : static_cast<int64_t>(n);
}

std::string mode_text(const QuantizeOptions& o, const quant::StaticQuantOptions& so) {
  std::string w = so.weights == quant::WeightBits::kInt4
                      ? fmt::format("int4 symmetric weights in blocks of {}", so.block)
                      : fmt::format("int8 symmetric weights {}", so.per_channel ? "per channel" : "per tensor");
  if (!so.quantize_activations) return "weight-only, " + w;
  return fmt::format("static INT8, {} activations calibrated by {}, {}",
                     so.symmetric_activations ? "int8 symmetric" : "uint8 asymmetric",
                     o.method == "percentile" ? fmt::format("percentile {}", o.percentile) : o.method, w);
}

struct Outcome {
  quant::StaticQuantReport report;
  Quality quality;
  Timing timing;
  std::optional<quant::MixedPrecisionResult> mixed;
  int64_t file_before = 0, file_after = 0;
  std::string calibration_source;
  int64_t calibration_samples = 0;
  double float_accuracy = -1;
  std::optional<quant::SmoothReport> smooth;
};

void print_text(const QuantizeOptions& o, const quant::StaticQuantOptions& so, const Outcome& r) {
  fmt::print("quantized {} -> {} ({})\n", o.model, o.output, mode_text(o, so));
  if (!r.calibration_source.empty()) {
    fmt::print("calibration: {} samples from {}\n", r.calibration_samples, r.calibration_source);
  }
  fmt::print("  {:<28} {:<6} {:>16} {:<14} {:>22} {:>8}\n", "layer", "op", "weight", "granularity",
             "weight scale (min..max)", "SNR dB");
  for (const quant::StaticQuantLayer& l : r.report.layers) {
    fmt::print("  {:<28} {:<6} {:>16} {:<14} {:>22} {:>8.1f}\n", l.node, l.op, l.weight_shape.to_string(),
               l.granularity, fmt::format("{:.3g}..{:.3g}", l.scale_min, l.scale_max), l.snr_db);
  }
  if (!r.report.activations.empty()) {
    fmt::print("  {:<40} {:>24} {:>12} {:>5}\n", "activation", "range", "scale", "zp");
    for (const quant::QuantizedTensorInfo& a : r.report.activations) {
      fmt::print("  {:<40} {:>24} {:>12.4g} {:>5}{}\n", a.tensor, fmt::format("[{:.4g}, {:.4g}]", a.rmin, a.rmax),
                 a.params.scale, a.params.zero_point,
                 a.inherited_from.empty() ? "" : "  (as " + a.inherited_from + ")");
    }
  }
  for (const std::string& k : r.report.kept) fmt::print("  kept in float: {}\n", k);
  if (r.smooth) print_smoothing(o, *r.smooth);
  if (r.mixed) {
    const quant::MixedPrecisionResult& m = *r.mixed;
    fmt::print("mixed precision: float {:.2f}%, all quantized {:.2f}%, final {:.2f}% ({} evaluations, budget {} "
               "points: {})\n",
               m.float_accuracy, m.all_quantized_accuracy, m.final_accuracy, m.evaluations, o.max_accuracy_drop,
               m.budget_met ? "met" : "NOT met");
    for (const auto& [layer, gain] : m.sensitivity) fmt::print("  sensitivity {:<28} {:+.2f} points\n", layer, gain);
    for (const std::string& k : m.kept_float) fmt::print("  kept in float by --mixed auto: {}\n", k);
  }
  if (!r.calibration_source.empty()) {
    fmt::print("on the calibration set vs float: output cosine {:.5f}, SNR {:.1f} dB, top-1 agreement {:.2f}%", r.quality.cosine,
               r.quality.snr_db, r.quality.top1_agreement);
    if (r.quality.accuracy >= 0) fmt::print(", accuracy {:.2f}% (float {:.2f}%)", r.quality.accuracy, r.float_accuracy);
    fmt::print("\n");
  }
  fmt::print("size: initializers {} -> {} ({:.2f}x smaller); file {} -> {}\n",
             human_bytes(static_cast<double>(r.report.weight_bytes_before)),
             human_bytes(static_cast<double>(r.report.weight_bytes_after)),
             r.report.weight_bytes_after > 0
                 ? static_cast<double>(r.report.weight_bytes_before) / static_cast<double>(r.report.weight_bytes_after)
                 : 0.0,
             human_bytes(static_cast<double>(r.file_before)), human_bytes(static_cast<double>(r.file_after)));
  if (r.report.opset_after != r.report.opset_before) {
    fmt::print("opset raised {} -> {} (int4 DequantizeLinear)\n", r.report.opset_before, r.report.opset_after);
  }
  if (r.timing.ran) {
    const double ratio = r.timing.float_ms / r.timing.quantized_ms;
    fmt::print("speed on this machine (batch {}, median): float {:.3f} ms, quantized {:.3f} ms: {}\n", r.timing.rows,
               r.timing.float_ms, r.timing.quantized_ms,
               ratio >= 1.0 ? fmt::format("{:.2f}x faster", ratio) : fmt::format("{:.2f}x SLOWER", 1.0 / ratio));
  }
}

void print_json(const QuantizeOptions& o, const quant::StaticQuantOptions& so, const Outcome& r) {
  std::string s = fmt::format(
      "{{\"model\":{},\"output\":{},\"activations\":{},\"weights\":{},\"per_channel\":{},\"block\":{},"
      "\"symmetric_activations\":{},\"method\":{},\"calibration\":{},\"calibration_samples\":{},\"layers\":[",
      json_string(o.model), json_string(o.output), json_string(so.quantize_activations ? "static" : "none"),
      json_string(so.weights == quant::WeightBits::kInt4 ? "int4" : "int8"), so.per_channel,
      so.weights == quant::WeightBits::kInt4 ? so.block : 0, so.symmetric_activations, json_string(o.method),
      json_string(r.calibration_source), r.calibration_samples);
  for (size_t i = 0; i < r.report.layers.size(); ++i) {
    const quant::StaticQuantLayer& l = r.report.layers[i];
    s += fmt::format("{}{{\"node\":{},\"op\":{},\"weight\":{},\"granularity\":{},\"scale_min\":{},\"scale_max\":{},"
                     "\"mse\":{},\"snr_db\":{},\"input\":{},\"output\":{}}}",
                     i ? "," : "", json_string(l.node), json_string(l.op), json_string(l.weight),
                     json_string(l.granularity), json_number(l.scale_min), json_number(l.scale_max),
                     json_number(l.mse), json_number(l.snr_db), json_string(l.input), json_string(l.output));
  }
  s += "],\"activations\":[";
  for (size_t i = 0; i < r.report.activations.size(); ++i) {
    const quant::QuantizedTensorInfo& a = r.report.activations[i];
    s += fmt::format("{}{{\"tensor\":{},\"min\":{},\"max\":{},\"scale\":{},\"zero_point\":{},\"inherited_from\":{}}}",
                     i ? "," : "", json_string(a.tensor), json_number(a.rmin), json_number(a.rmax),
                     json_number(a.params.scale), a.params.zero_point, json_string(a.inherited_from));
  }
  s += "],\"kept\":[";
  for (size_t i = 0; i < r.report.kept.size(); ++i) s += (i ? "," : "") + json_string(r.report.kept[i]);
  s += "]";
  if (r.smooth) s += ",\"smooth_quant\":" + smoothing_json(o, *r.smooth);
  if (r.mixed) {
    s += fmt::format(",\"mixed\":{{\"float_accuracy\":{},\"all_quantized_accuracy\":{},\"final_accuracy\":{},"
                     "\"budget_met\":{},\"evaluations\":{},\"kept_float\":[",
                     json_number(r.mixed->float_accuracy), json_number(r.mixed->all_quantized_accuracy),
                     json_number(r.mixed->final_accuracy), r.mixed->budget_met, r.mixed->evaluations);
    for (size_t i = 0; i < r.mixed->kept_float.size(); ++i) s += (i ? "," : "") + json_string(r.mixed->kept_float[i]);
    s += "],\"sensitivity\":[";
    for (size_t i = 0; i < r.mixed->sensitivity.size(); ++i) {
      s += fmt::format("{}{{\"node\":{},\"gain\":{}}}", i ? "," : "", json_string(r.mixed->sensitivity[i].first),
                       json_number(r.mixed->sensitivity[i].second));
    }
    s += "]}";
  }
  if (!r.calibration_source.empty()) {
    s += fmt::format(",\"quality\":{{\"cosine\":{},\"snr_db\":{},\"top1_agreement\":{},\"accuracy\":{},"
                     "\"float_accuracy\":{}}}",
                     json_number(r.quality.cosine), json_number(r.quality.snr_db),
                     json_number(r.quality.top1_agreement),
                     r.quality.accuracy >= 0 ? json_number(r.quality.accuracy) : "null",
                     r.float_accuracy >= 0 ? json_number(r.float_accuracy) : "null");
  }
  s += fmt::format(",\"weight_bytes_before\":{},\"weight_bytes_after\":{},\"file_bytes_before\":{},"
                   "\"file_bytes_after\":{},\"opset_before\":{},\"opset_after\":{}",
                   r.report.weight_bytes_before, r.report.weight_bytes_after, r.file_before, r.file_after,
                   r.report.opset_before, r.report.opset_after);
  if (r.timing.ran) {
    s += fmt::format(",\"timing\":{{\"batch\":{},\"float_ms\":{},\"quantized_ms\":{},\"speedup\":{}}}", r.timing.rows,
                     json_number(r.timing.float_ms), json_number(r.timing.quantized_ms),
                     json_number(r.timing.float_ms / r.timing.quantized_ms));
  }
  fmt::print("{}}}\n", s);
}

Result<quant::StaticQuantOptions> static_options(const QuantizeOptions& o) {
  quant::StaticQuantOptions so;
  so.quantize_activations = o.activations == "static";
  so.per_channel = o.per_channel;
  so.symmetric_activations = o.symmetric;
  so.weights = o.weights == "int4" ? quant::WeightBits::kInt4 : quant::WeightBits::kInt8;
  so.block = o.block;
  FS_ASSIGN_OR_RETURN(so.method, quant::parse_calibration_method(o.method));
  so.percentile = o.percentile;
  so.exclude = o.exclude;
  return so;
}

Result<Outcome> quantize(const QuantizeOptions& o, const quant::StaticQuantOptions& so_in) {
  quant::StaticQuantOptions so = so_in;
  FS_ASSIGN_OR_RETURN(std::shared_ptr<Model> original, load_model(o.model));
  // 1. Standard-ONNX simplification (BatchNorm folding, constant folding).
  auto prepared = std::make_shared<Model>(*original);
  {
    ThreadPool pool(1);
    PlanOptions plan;
    plan.isa = host_isa();
    FS_RETURN_IF_ERROR(simplify_model(*prepared, plan, KernelRegistry::global(), pool).status());
  }
  // Checked before anything runs (an already quantized model, a bad --exclude).
  FS_ASSIGN_OR_RETURN(quant::StaticQuantPlan plan, quant::plan_static_quantization(*prepared, so));

  Outcome out;
  out.file_before = file_bytes(o.model);
  EngineOptions engine;
  engine.threads = o.threads;
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> float_session, create_session(original, engine));
  const bool progress = !o.quiet && !o.json && stderr_is_tty();

  // 2. Calibration: ranges for the plan (and, for --mixed, for every
  // pass-through output too, which a smaller plan may need calibrated).
  std::optional<CalibrationSet> set;
  std::map<std::string, quant::RangeObserver> ranges;
  std::vector<Tensor> float_outputs;
  if (!o.calibration.empty()) {
    const std::string data_dir = o.data_dir.empty() ? std::string(kFashionMnistDefaultDir) : o.data_dir;
    FS_ASSIGN_OR_RETURN(CalibrationSet loaded,
                        load_calibration_set(o.calibration, *prepared, float_session->inputs(), o.samples, o.batch,
                                             data_dir));
    set = std::move(loaded);
    out.calibration_source = set->source;
    out.calibration_samples = set->samples;
    if (o.smooth_alpha > 0) {
      FS_ASSIGN_OR_RETURN(out.smooth, smooth_model(*prepared, set->batches, o));
      FS_ASSIGN_OR_RETURN(plan, quant::plan_static_quantization(*prepared, so));
    }
    std::vector<std::string> tensors = plan.calibrate;
    if (!o.mixed.empty()) {
      std::set<std::string> have(tensors.begin(), tensors.end());
      for (int32_t idx : plan.activation_ops) {
        const Node& n = prepared->graph.nodes[static_cast<size_t>(idx)];
        const std::string& name = prepared->graph.values[static_cast<size_t>(n.outputs[0])].name;
        if (have.insert(name).second) tensors.push_back(name);
      }
    }
    if (so.quantize_activations) {
      ProgressBar bar("calibrate", static_cast<int64_t>(set->batches.size()), progress);
      FS_ASSIGN_OR_RETURN(ranges, quant::observe_activations(*prepared, tensors, set->batches, o.threads,
                                                             [&](size_t done) { bar.update(static_cast<int64_t>(done)); }));
      bar.finish();
    }
    FS_ASSIGN_OR_RETURN(float_outputs, run_set(*float_session, *set));
    if (!set->labels.empty()) out.float_accuracy = compare(float_outputs, float_outputs, set->labels).accuracy;
  }

  auto build = [&](const std::vector<std::string>& extra_float) -> Result<std::pair<std::shared_ptr<Model>, quant::StaticQuantReport>> {
    quant::StaticQuantOptions opt = so;
    opt.exclude.insert(opt.exclude.end(), extra_float.begin(), extra_float.end());
    auto m = std::make_shared<Model>(*prepared);
    FS_ASSIGN_OR_RETURN(quant::StaticQuantPlan p, quant::plan_static_quantization(*m, opt));
    FS_ASSIGN_OR_RETURN(quant::StaticQuantReport rep, quant::quantize_static(*m, p, ranges, opt));
    return std::make_pair(m, std::move(rep));
  };

  // 3. --mixed auto.
  std::vector<std::string> kept_float;
  if (o.mixed == "auto") {
    std::vector<std::string> layers;
    for (int32_t idx : plan.weighted) {
      const Node& n = prepared->graph.nodes[static_cast<size_t>(idx)];
      if (!n.name.empty()) layers.push_back(n.name);
    }
    const double float_acc = set->labels.empty() ? 100.0 : out.float_accuracy;
    ProgressBar bar("mixed", static_cast<int64_t>(layers.size()) * 2 + 1, progress);
    int64_t evals = 0;
    quant::AccuracyFn evaluate = [&](const std::vector<std::string>& keep) -> Result<double> {
      FS_ASSIGN_OR_RETURN(auto built, build(keep));
      FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> s, create_session(built.first, engine));
      FS_ASSIGN_OR_RETURN(std::vector<Tensor> ys, run_set(*s, *set));
      bar.update(++evals);
      return accuracy_of(ys, float_outputs, set->labels);
    };
    FS_ASSIGN_OR_RETURN(quant::MixedPrecisionResult mixed,
                        quant::choose_float_layers(layers, float_acc, o.max_accuracy_drop, evaluate));
    bar.finish();
    kept_float = mixed.kept_float;
    out.mixed = std::move(mixed);
  }

  // 4. The model, its quality and its speed.
  FS_ASSIGN_OR_RETURN(auto built, build(kept_float));
  out.report = std::move(built.second);
  FS_RETURN_IF_ERROR(save_onnx_model(*built.first, o.output));
  out.file_after = file_bytes(o.output);
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> qsession, create_session(built.first, engine));
  if (set) {
    FS_ASSIGN_OR_RETURN(std::vector<Tensor> ys, run_set(*qsession, *set));
    out.quality = compare(float_outputs, ys, set->labels);
    if (!o.no_bench) {
      const quant::CalibrationBatch in = timing_inputs(*set, float_session->inputs());
      FS_ASSIGN_OR_RETURN(out.timing.float_ms, median_ms(*float_session, in, 1.0));
      FS_ASSIGN_OR_RETURN(out.timing.quantized_ms, median_ms(*qsession, in, 1.0));
      out.timing.rows = in.empty() || in[0].tensor.rank() == 0 ? 1 : in[0].tensor.dim(0);
      out.timing.ran = true;
    }
  }
  return out;
}

}  // namespace

Result<quant::SmoothReport> smooth_model(Model& model, std::span<const quant::CalibrationBatch> batches,
                                         const QuantizeOptions& o) {
  const std::vector<std::string> tensors = quant::smoothable_activations(model, o.exclude);
  FS_ASSIGN_OR_RETURN(auto absmax, quant::observe_channel_absmax(model, tensors, batches, o.threads));
  return quant::apply_smoothing(model, absmax, o.smooth_alpha, o.exclude);
}

void print_smoothing(const QuantizeOptions& o, const quant::SmoothReport& r) {
  fmt::print("SmoothQuant (alpha {}): {} activations, {} weights smoothed; factors {:.3g}..{:.3g}\n", o.smooth_alpha,
             r.activations, r.weights, r.s_min, r.s_max);
}

std::string smoothing_json(const QuantizeOptions& o, const quant::SmoothReport& r) {
  return fmt::format("{{\"alpha\":{},\"activations\":{},\"weights\":{},\"s_min\":{},\"s_max\":{}}}",
                     json_number(o.smooth_alpha), r.activations, r.weights, json_number(r.s_min), json_number(r.s_max));
}

int run_static_quantize(const QuantizeOptions& opts) {
  Result<quant::StaticQuantOptions> so = static_options(opts);
  if (!so.ok()) return report_usage_error(so.status().message());
  Result<Outcome> r = quantize(opts, *so);
  if (!r.ok()) return report_error(r.status());
  if (opts.json) {
    print_json(opts, *so, *r);
  } else if (!opts.quiet) {
    print_text(opts, *so, *r);
  }
  return kExitOk;
}

}  // namespace fastserve::cli
