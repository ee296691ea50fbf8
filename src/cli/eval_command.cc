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
#include "cli/progress_bar.h"
#include "core/npy.h"
#include "data/fashion_mnist.h"
#include "data/image_preprocess.h"
#include "data/topk.h"

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

struct EvalResult {
  int64_t count = 0;
  int64_t correct = 0;
  int batch = 0;
  double seconds = 0;
  std::vector<uint8_t> predictions;
};

// Checks that the model has one float input and returns its image spec and batch size.
Status check_model(const Session& sess, const Model& model, int requested_batch, ImageSpec* spec, int* batch) {
  if (sess.inputs().size() != 1) {
    return invalid_argument("eval needs a model with one input; this one has " +
                            std::to_string(sess.inputs().size()));
  }
  const IoInfo& in = sess.inputs()[0];
  if (in.dtype != DType::kF32) {
    return unsupported("eval feeds float32 images; model input '" + in.name + "' is " + dtype_name(in.dtype));
  }
  FS_ASSIGN_OR_RETURN(*spec, resolve_image_spec(model.metadata, in.name, in.shape));
  for (const std::string& w : spec->warnings) spdlog::warn("{}", w);
  *batch = requested_batch;
  if (in.shape_known && in.shape.rank() == 4 && in.shape[0] != kUnknownDim) {
    *batch = static_cast<int>(in.shape[0]);
    if (*batch != requested_batch) spdlog::info("model input '{}' has a fixed batch of {}", in.name, *batch);
  }
  return ok_status();
}

Result<EvalResult> evaluate(const Session& sess, const Dataset& ds, int64_t count, const ImageSpec& spec,
                            int batch, bool show_progress) {
  const IoInfo& in = sess.inputs()[0];
  const bool fixed_batch = in.shape_known && in.shape.rank() == 4 && in.shape[0] != kUnknownDim;
  const int64_t sample_size = int64_t{spec.channels} * spec.height * spec.width;
  EvalResult r;
  r.count = count;
  r.batch = batch;
  r.predictions.resize(static_cast<size_t>(count));
  ProgressBar bar("eval", count, show_progress);
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t start = 0; start < count; start += batch) {
    const int64_t n = std::min<int64_t>(batch, count - start);
    const int64_t rows = fixed_batch ? batch : n;
    Shape shape = spec.layout == TensorLayout::kNCHW ? Shape{rows, spec.channels, spec.height, spec.width}
                                                      : Shape{rows, spec.height, spec.width, spec.channels};
    Tensor x = fixed_batch && n < batch ? Tensor::zeros(DType::kF32, shape) : Tensor::empty(DType::kF32, shape);
    for (int64_t i = 0; i < n; ++i) {
      Image img;
      img.width = ds.cols;
      img.height = ds.rows;
      img.channels = 1;
      img.pixels.assign(ds.image(start + i), ds.image(start + i) + int64_t{ds.rows} * ds.cols);
      FS_RETURN_IF_ERROR(preprocess_image(img, spec, ResizePolicy::kAuto, "image #" + std::to_string(start + i),
                                          in.name, x.data<float>() + i * sample_size));
    }
    NamedTensor input{in.name, std::move(x)};
    FS_ASSIGN_OR_RETURN(std::vector<NamedTensor> outputs, sess.run(std::span<const NamedTensor>(&input, 1)));
    const Tensor& y = outputs.at(0).tensor;
    if (y.dtype() != DType::kF32 || y.rank() != 2 || y.dim(0) != rows || y.dim(1) < 1) {
      return invalid_argument("eval needs a classifier output float32[batch,classes]; output '" +
                              outputs[0].name + "' is " + y.to_string());
    }
    const int64_t classes = y.dim(1);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t pred = argmax(std::span<const float>(y.data<float>() + i * classes, static_cast<size_t>(classes)));
      r.predictions[static_cast<size_t>(start + i)] = static_cast<uint8_t>(std::clamp<int64_t>(pred, 0, 255));
      if (pred == ds.labels[static_cast<size_t>(start + i)]) ++r.correct;
    }
    bar.update(start + n);
  }
  bar.finish();
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

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
