// Fashion-MNIST top-1 accuracy (see eval_accuracy.h).
#include "cli/eval_accuracy.h"

#include <spdlog/spdlog.h>

#include <chrono>

#include "cli/progress_bar.h"
#include "data/topk.h"

namespace fastserve::cli {

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

Result<EvalResult> fashion_mnist_accuracy(std::shared_ptr<const Model> model, const EngineOptions& engine,
                                          const std::string& data_dir, int64_t limit, int batch) {
  FS_ASSIGN_OR_RETURN(std::unique_ptr<Session> session, create_session(model, engine));
  ImageSpec spec;
  int run_batch = 0;
  FS_RETURN_IF_ERROR(check_model(*session, *model, batch, &spec, &run_batch));
  FS_ASSIGN_OR_RETURN(Dataset ds, load_fashion_mnist(data_dir, "t10k"));
  const int64_t count = limit > 0 ? std::min(limit, ds.count) : ds.count;
  if (count == 0) return invalid_argument(data_dir + ": the test set is empty");
  return evaluate(*session, ds, count, spec, run_batch, false);
}

}  // namespace fastserve::cli
