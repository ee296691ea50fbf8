// load_calibration_set (see calibration_data.h).
#include "cli/calibration_data.h"

#include <algorithm>
#include <cstring>
#include <cctype>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <system_error>

#include "cli/npy_input.h"
#include "data/fashion_mnist.h"
#include "data/image.h"
#include "data/image_preprocess.h"

namespace fastserve::cli {
namespace {

namespace fs = std::filesystem;

bool has_extension(const fs::path& p, std::initializer_list<const char*> exts) {
  std::string e = p.extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return std::any_of(exts.begin(), exts.end(), [&](const char* x) { return e == x; });
}

bool is_image_file(const fs::path& p) { return has_extension(p, {".png", ".jpg", ".jpeg", ".bmp", ".pgm", ".ppm"}); }

// Rows of `batch` images for a rank-4 float input: its fixed batch when it
// has one (the last run padded with zeros), else up to `batch`.
int64_t rows_per_run(const IoInfo& in, int batch) {
  if (in.shape_known && in.shape.rank() == 4 && in.shape[0] != kUnknownDim) return in.shape[0];
  return std::max(1, batch);
}

Result<ImageSpec> image_spec_for(const Model& model, const IoInfo& in, const std::string& what) {
  if (in.dtype != DType::kF32) {
    return invalid_argument(what + ": model input '" + in.name + "' is " + dtype_name(in.dtype) +
                            "; images can only feed float32 inputs");
  }
  return resolve_image_spec(model.metadata, in.name, in.shape);
}

// Packs preprocessed images (each spec-sized floats) into runs.
struct ImageBatcher {
  const IoInfo& in;
  const ImageSpec& spec;
  int64_t rows;
  CalibrationSet& set;
  std::vector<float> pending;
  int64_t count = 0;

  int64_t sample_floats() const { return int64_t{spec.channels} * spec.height * spec.width; }
  float* next() {
    pending.resize(static_cast<size_t>((count + 1) * sample_floats()));
    return pending.data() + count * sample_floats();
  }
  void added() {
    ++count;
    ++set.samples;
    if (count == rows) flush();
  }
  void flush() {
    if (count == 0) return;
    const bool fixed = in.shape_known && in.shape[0] != kUnknownDim;
    const int64_t n = fixed ? rows : count;
    const Shape shape = spec.layout == TensorLayout::kNCHW ? Shape{n, spec.channels, spec.height, spec.width}
                                                           : Shape{n, spec.height, spec.width, spec.channels};
    Tensor t = Tensor::zeros(DType::kF32, shape);
    std::memcpy(t.data<float>(), pending.data(), static_cast<size_t>(count * sample_floats()) * sizeof(float));
    set.batches.push_back({NamedTensor{in.name, std::move(t)}});
    count = 0;
  }
};

Result<CalibrationSet> load_fashion_mnist_set(const Model& model, const IoInfo& in, int64_t max_samples, int batch,
                                              const std::string& data_dir) {
  FS_ASSIGN_OR_RETURN(ImageSpec spec, image_spec_for(model, in, "--calibration fashion-mnist"));
  FS_ASSIGN_OR_RETURN(Dataset ds, load_fashion_mnist(data_dir, "train"));
  CalibrationSet set;
  set.source = "fashion-mnist (train split, " + data_dir + ")";
  const int64_t n = max_samples > 0 ? std::min(max_samples, ds.count) : ds.count;
  if (n == 0) return invalid_argument(data_dir + ": the Fashion-MNIST training split is empty");
  ImageBatcher batcher{in, spec, rows_per_run(in, batch), set, {}, 0};
  for (int64_t i = 0; i < n; ++i) {
    Image img;
    img.width = ds.cols;
    img.height = ds.rows;
    img.channels = 1;
    img.pixels.assign(ds.image(i), ds.image(i) + int64_t{ds.rows} * ds.cols);
    FS_RETURN_IF_ERROR(preprocess_image(img, spec, ResizePolicy::kAuto, "training image #" + std::to_string(i),
                                        in.name, batcher.next()));
    set.labels.push_back(ds.labels[static_cast<size_t>(i)]);
    batcher.added();
  }
  batcher.flush();
  return set;
}

Result<std::vector<fs::path>> sorted_files(const fs::path& dir) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
    if (e.is_regular_file() && (has_extension(e.path(), {".npy"}) || is_image_file(e.path()))) {
      files.push_back(e.path());
    }
  }
  if (ec) return invalid_argument(dir.string() + ": cannot list the folder: " + ec.message());
  std::sort(files.begin(), files.end());
  return files;
}

int64_t leading_rows(const Tensor& t) { return t.rank() == 0 ? 1 : t.dim(0); }

Result<CalibrationSet> load_folder_set(const fs::path& dir, const Model& model, const std::vector<IoInfo>& inputs,
                                       int64_t max_samples, int batch) {
  CalibrationSet set;
  set.source = dir.string();
  if (inputs.size() == 1) {
    const IoInfo& in = inputs[0];
    FS_ASSIGN_OR_RETURN(std::vector<fs::path> files, sorted_files(dir));
    if (files.empty()) {
      return invalid_argument(dir.string() + ": the calibration folder has no .npy or image files");
    }
    std::optional<ImageSpec> spec;
    std::optional<ImageBatcher> batcher;
    for (const fs::path& f : files) {
      if (max_samples > 0 && set.samples >= max_samples) break;
      if (has_extension(f, {".npy"})) {
        FS_ASSIGN_OR_RETURN(Tensor t, load_npy_input(f.string(), in));
        set.samples += leading_rows(t);
        set.batches.push_back({NamedTensor{in.name, std::move(t)}});
        continue;
      }
      if (!spec) {
        FS_ASSIGN_OR_RETURN(ImageSpec s, image_spec_for(model, in, f.string()));
        spec = s;
        batcher.emplace(ImageBatcher{in, *spec, rows_per_run(in, batch), set, {}, 0});
      }
      FS_ASSIGN_OR_RETURN(Image img, decode_image_file(f.string()));
      FS_RETURN_IF_ERROR(preprocess_image(img, *spec, ResizePolicy::kAuto, f.string(), in.name, batcher->next()));
      batcher->added();
    }
    if (batcher) batcher->flush();
    return set;
  }
  // Several inputs: DIR/<input>/*.npy, paired by position in name order.
  std::vector<std::vector<fs::path>> per_input;
  for (const IoInfo& in : inputs) {
    const fs::path sub = dir / in.name;
    std::error_code ec;
    if (!fs::is_directory(sub, ec)) {
      return invalid_argument(dir.string() + ": the model has " + std::to_string(inputs.size()) +
                              " inputs, so the calibration folder needs a subfolder per input; '" + in.name +
                              "' is missing");
    }
    FS_ASSIGN_OR_RETURN(std::vector<fs::path> files, sorted_files(sub));
    files.erase(std::remove_if(files.begin(), files.end(), [](const fs::path& p) { return !has_extension(p, {".npy"}); }),
                files.end());
    if (files.empty()) return invalid_argument(sub.string() + ": no .npy files");
    if (!per_input.empty() && files.size() != per_input[0].size()) {
      return invalid_argument(sub.string() + ": " + std::to_string(files.size()) + " .npy files, but " +
                              (dir / inputs[0].name).string() + " has " + std::to_string(per_input[0].size()));
    }
    per_input.push_back(std::move(files));
  }
  for (size_t k = 0; k < per_input[0].size(); ++k) {
    if (max_samples > 0 && set.samples >= max_samples) break;
    quant::CalibrationBatch b;
    for (size_t i = 0; i < inputs.size(); ++i) {
      FS_ASSIGN_OR_RETURN(Tensor t, load_npy_input(per_input[i][k].string(), inputs[i]));
      if (i == 0) set.samples += leading_rows(t);
      b.push_back(NamedTensor{inputs[i].name, std::move(t)});
    }
    set.batches.push_back(std::move(b));
  }
  return set;
}

}  // namespace

Result<CalibrationSet> load_calibration_set(const std::string& source, const Model& model,
                                            const std::vector<IoInfo>& inputs, int64_t max_samples, int batch,
                                            const std::string& data_dir) {
  if (inputs.empty()) return invalid_argument(model.display_name() + ": the model has no inputs to calibrate with");
  CalibrationSet set;
  if (source == "fashion-mnist") {
    if (inputs.size() != 1) {
      return invalid_argument("--calibration fashion-mnist: the model has " + std::to_string(inputs.size()) +
                              " inputs; Fashion-MNIST feeds a single image input");
    }
    FS_ASSIGN_OR_RETURN(set, load_fashion_mnist_set(model, inputs[0], max_samples, batch, data_dir));
  } else {
    std::error_code ec;
    if (!fs::exists(source, ec)) return not_found("--calibration " + source + ": no such folder");
    if (!fs::is_directory(source, ec)) {
      return invalid_argument("--calibration " + source + ": not a folder (give a folder of .npy or image files, " +
                              "or fashion-mnist)");
    }
    FS_ASSIGN_OR_RETURN(set, load_folder_set(source, model, inputs, max_samples, batch));
  }
  if (set.batches.empty() || set.samples == 0) {
    return invalid_argument("--calibration " + source + ": the calibration set is empty");
  }
  return set;
}

}  // namespace fastserve::cli
