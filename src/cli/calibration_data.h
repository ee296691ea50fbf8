// The calibration set of `fastserve quantize --calibration SOURCE`:
//
//   fashion-mnist  images from the Fashion-MNIST *training* split (never the
//                  test set the accuracy is reported on), preprocessed as
//                  the model's metadata says (as `eval` does), with labels;
//   DIR            a folder of samples: .npy files, each one run's tensor for
//                  the model's only input (any batch size its shape allows),
//                  or images (.png .jpg .jpeg .bmp .pgm .ppm), preprocessed
//                  as `run` does. A model with several inputs takes one
//                  subfolder per input name, holding the same number of .npy
//                  files, paired in name order.
// Samples are grouped into runs of `batch` where the batch dim is symbolic.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "quant/activation_ranges.h"

namespace fastserve::cli {

struct CalibrationSet {
  std::vector<quant::CalibrationBatch> batches;
  std::vector<int> labels;  // one per sample, in batch order (Fashion-MNIST only; else empty)
  int64_t samples = 0;      // rows over all batches
  std::string source;
};

// max_samples: at most this many samples (0 = all). data_dir: where the
// Fashion-MNIST IDX files are. Errors name the folder or file: missing,
// empty, a file whose dtype or shape does not fit the input, a model whose
// input cannot take images (for fashion-mnist and image files).
Result<CalibrationSet> load_calibration_set(const std::string& source, const Model& model,
                                            const std::vector<IoInfo>& inputs, int64_t max_samples, int batch,
                                            const std::string& data_dir);

}  // namespace fastserve::cli
