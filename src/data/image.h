// Images: decoding (PNG, JPEG, BMP, GIF, TGA, PNM via stb_image), channel
// conversion, resizing, and conversion to a normalized float tensor.
//
// An Image holds 8-bit pixels interleaved HWC (row-major, channels last),
// exactly as decoders produce them. Conversions stay in 8 bits until the very
// end so that the pipeline matches what Python tools (PIL) do when they make
// reference inputs: decode -> convert to L/RGB -> resize -> float.
//
// The float conversion is, per element and in float32:
//   x = pixel / 255;  if (invert) x = 1 - x;  x = (x - mean[c]) / std[c]
// computed with the same operations and order as the training script
// (tools/fashion_mnist_data.py: preprocess), so results match bit for bit.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct Image {
  int width = 0;
  int height = 0;
  int channels = 0;             // 1 (grey), 2 (grey+alpha), 3 (RGB), 4 (RGBA)
  std::vector<uint8_t> pixels;  // height * width * channels, HWC

  size_t size() const { return static_cast<size_t>(width) * height * channels; }
};

// Reads and decodes an image file. Errors: kNotFound when the file does not
// exist, kInvalidArgument "<path>: cannot decode image: <stb's reason>" when
// its content is not a supported image. 16-bit images are reduced to 8 bits.
Result<Image> decode_image_file(const std::string& path);
// Decodes an encoded image held in memory; `display_name` prefixes errors.
Result<Image> decode_image_memory(const void* data, size_t size, const std::string& display_name);

// Converts to 1 (grey) or 3 (RGB) channels. Grey uses ITU-R 601-2 luma with
// PIL's fixed-point rounding (L = (19595 R + 38470 G + 7471 B + 2^15) >> 16);
// alpha is dropped (not composited), grey is replicated to RGB.
Image convert_channels(const Image& image, int channels);

// Resizes with a triangle (bilinear) filter, edge pixels clamped. Upscaling
// is plain bilinear interpolation with pixel centers at +0.5; downscaling
// widens the filter to the scale factor (as PIL's BILINEAR does), so small
// outputs are antialiased rather than point-sampled.
Result<Image> resize_bilinear(const Image& image, int width, int height);

enum class TensorLayout { kNCHW, kNHWC };

const char* tensor_layout_name(TensorLayout layout);  // "NCHW", "NHWC"

// Per-channel normalization; mean/std have 1 value (applied to every
// channel) or one per channel. std values must be non-zero.
struct Normalization {
  std::vector<float> mean{0.f};
  std::vector<float> std{1.f};
  bool invert = false;  // x = 1 - x before mean/std (dark-on-light images for light-on-dark models)
};

// Writes the normalized image to `out` (height*width*channels floats) in the
// given layout, without a batch dim. The image must already have the wanted
// channel count and size. Error when mean/std have a count other than 1 or
// channels, or a std is 0.
Status write_normalized(const Image& image, TensorLayout layout, const Normalization& norm, float* out);

// As write_normalized, into a new float32 tensor of shape [1,C,H,W] / [1,H,W,C].
Result<Tensor> image_to_tensor(const Image& image, TensorLayout layout, const Normalization& norm);

}  // namespace fastserve
