// `fastserve eval`: top-1 accuracy of a classifier on the Fashion-MNIST test set.
//
//   fastserve eval --model M --dataset fashion-mnist [--limit N] [--batch 64]
//
// Images go through the same preprocessing as `run` (the model's metadata
// mean/std: (pixel/255 - mean) / std), in batches when the model's batch dim
// is symbolic; a model with a fixed batch B runs B at a time, padding the
// last batch with zeros. Images/s is measured end to end (preprocessing
// included) over the whole loop.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstring>

#include "cli/commands.h"
#include "cli/eval_accuracy.h"
#include "cli/progress_bar.h"
#include "core/npy.h"
#include "data/fashion_mnist.h"

namespace fastserve::cli {
namespace {

struct EvalOptions {
  EngineOptions engine;
  std::string model;
  std::string dataset = "fashion-mnist";
  std::string data_dir = std::string(kFashionMnistDefaultDir);
  int64_t limit = 0;
  int batch = 64;
  bool json = false;
  bool quiet = false;
  std::string predictions;
};

int run(const EvalOptions& opts) {
  Result<std::shared_ptr<Model>> model = load_model(opts.model);
  if (!model.ok()) return report_error(model.status());
  Result<std::unique_ptr<Session>> session = create_session(*model, opts.engine);
  if (!session.ok()) return report_error(session.status());
  ImageSpec spec;
  int batch = 0;
  Status s = check_model(**session, **model, opts.batch, &spec, &batch);
  if (!s.ok()) return report_error(s);

  Result<Dataset> ds = load_fashion_mnist(opts.data_dir, "t10k");
  if (!ds.ok()) return report_error(ds.status());
  const int64_t count = opts.limit > 0 ? std::min(opts.limit, ds->count) : ds->count;
  if (count == 0) return report_error(invalid_argument(opts.data_dir + ": the test set is empty"));

  const bool show_progress = !opts.quiet && !opts.json && stderr_is_tty();
  Result<EvalResult> r = evaluate(**session, *ds, count, spec, batch, show_progress);
  if (!r.ok()) return report_error(r.status());

  if (!opts.predictions.empty()) {
    Tensor preds = Tensor::from_vector(r->predictions);
    s = write_npy(opts.predictions, preds);
    if (!s.ok()) return report_error(s);
  }

  const double accuracy = static_cast<double>(r->correct) / static_cast<double>(r->count);
  const double ips = r->seconds > 0 ? static_cast<double>(r->count) / r->seconds : 0.0;
  if (opts.json) {
    fmt::print(
        "{{\"model\":{},\"dataset\":{},\"split\":\"t10k\",\"count\":{},\"correct\":{},\"accuracy\":{},"
        "\"images_per_second\":{},\"seconds\":{},\"batch\":{},\"threads\":{},\"kernels\":{}}}\n",
        json_string(opts.model), json_string(opts.dataset), r->count, r->correct, json_number(accuracy),
        json_number(ips), json_number(r->seconds), r->batch, (*session)->num_threads(),
        json_string(opts.engine.kernels));
  } else {
    fmt::print("dataset: {} t10k ({} images)\n", opts.dataset, r->count);
    fmt::print("accuracy: {:.4f} ({}/{} correct)\n", accuracy, r->correct, r->count);
    fmt::print("images/s: {:.1f} (batch {}, {} threads, kernels {}, {:.2f} s incl. preprocessing)\n", ips,
               r->batch, (*session)->num_threads(), opts.engine.kernels, r->seconds);
  }
  return kExitOk;
}

}  // namespace

Command add_eval_command(CLI::App& app) {
  auto opts = std::make_shared<EvalOptions>();
  CLI::App* sub = app.add_subcommand("eval", "Measure a classifier's accuracy on a test set");
  sub->add_option("--model,-m", opts->model, "ONNX model file")->required();
  sub->add_option("--dataset", opts->dataset, "Test set")
      ->check(CLI::IsMember({"fashion-mnist"}))
      ->default_val("fashion-mnist");
  sub->add_option("--data-dir", opts->data_dir, "Folder with t10k-images-idx3-ubyte.gz and t10k-labels-idx1-ubyte.gz")
      ->default_val(std::string(kFashionMnistDefaultDir));
  sub->add_option("--limit", opts->limit, "Evaluate only the first N images (0 = all)")
      ->check(CLI::NonNegativeNumber)
      ->default_val(0);
  sub->add_option("--batch,-b", opts->batch, "Images per run when the model's batch dim is symbolic")
      ->check(CLI::Range(1, 1 << 16))
      ->default_val(64);
  sub->add_flag("--json", opts->json, "Print one JSON object instead of text");
  sub->add_flag("--quiet,-q", opts->quiet, "No progress bar");
  sub->add_option("--predictions", opts->predictions, "Write the predicted classes (uint8) to this .npy file");
  add_engine_options(*sub, opts->engine);
  return {sub, [opts] { return run(*opts); }};
}

}  // namespace fastserve::cli
