// How a model wants its images: layout, size, channels, normalization.
//
// Resolved from, in order of precedence:
//   1. caller overrides (command-line flags: --mean, --std);
//   2. the model's metadata_props:
//        fastserve.image.layout    NCHW | NHWC
//        fastserve.image.channels  1 | 3
//        fastserve.image.height / fastserve.image.width
//        fastserve.image.mean / fastserve.image.std   one float, or one per channel "0.485,0.456,0.406"
//        fastserve.image.invert    true | false (x = 1 - pixel/255 before mean/std)
//   3. the input's static shape (rank 4, NCHW unless only the last dim is 1 or 3),
//      with mean 0 / std 1, and a warning saying so.
// The metadata keys are written by tools/train_fashion_mnist.py; models/README.md documents them.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "data/image.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

inline constexpr std::string_view kMetaImageLayout = "fastserve.image.layout";
inline constexpr std::string_view kMetaImageChannels = "fastserve.image.channels";
inline constexpr std::string_view kMetaImageHeight = "fastserve.image.height";
inline constexpr std::string_view kMetaImageWidth = "fastserve.image.width";
inline constexpr std::string_view kMetaImageMean = "fastserve.image.mean";
inline constexpr std::string_view kMetaImageStd = "fastserve.image.std";
inline constexpr std::string_view kMetaImageInvert = "fastserve.image.invert";

struct ImageSpec {
  TensorLayout layout = TensorLayout::kNCHW;
  int channels = 0;
  int height = 0;
  int width = 0;
  Normalization norm;
  // Guesses made for lack of metadata, for the caller to log as warnings.
  std::vector<std::string> warnings;
};

struct ImageSpecOverrides {
  std::optional<std::vector<float>> mean;
  std::optional<std::vector<float>> std;
  std::optional<bool> invert;
};

// Resolves the spec for the graph input `input_name` of shape `input_shape`
// (dims may be kUnknownDim). Errors (kInvalidArgument, naming the input or
// the metadata key): input not rank 4, channels other than 1/3, size unknown,
// metadata unparsable or contradicting a static dim, mean/std count wrong.
Result<ImageSpec> resolve_image_spec(const std::map<std::string, std::string>& metadata,
                                     const std::string& input_name, const Shape& input_shape,
                                     const ImageSpecOverrides& overrides = {});

// "0.5" or "0.485,0.456,0.406" (spaces allowed) -> floats; `what` names the
// source in errors ("--mean", "metadata fastserve.image.std").
Result<std::vector<float>> parse_float_list(std::string_view text, std::string_view what);

enum class ResizePolicy {
  kAuto,   // resize to the model's size when they differ
  kNever,  // a size mismatch is an error
};

// Converts channels, resizes per `policy`, and writes the normalized pixels
// (spec.height * spec.width * spec.channels floats, no batch dim) to `out`.
// `image_name` names the image in errors:
//   "cat.png is 64x64, model 'input' expects 28x28 (use --resize auto)".
Status preprocess_image(const Image& image, const ImageSpec& spec, ResizePolicy policy,
                        const std::string& image_name, const std::string& input_name, float* out);

// As preprocess_image, into a new float32 tensor with a batch dim of 1.
Result<Tensor> preprocess_image_to_tensor(const Image& image, const ImageSpec& spec, ResizePolicy policy,
                                          const std::string& image_name, const std::string& input_name);

}  // namespace fastserve
