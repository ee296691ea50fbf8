// Image decoding (stb_image), channel conversion, resizing (stb_image_resize)
// and normalization to float. See image.h for the exact arithmetic.
#include "data/image.h"

#include <climits>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "stb_image.h"
#include "stb_image_resize.h"

namespace fastserve {
namespace {

// stbi's pixel buffer, freed with its own allocator.
struct StbiFree {
  void operator()(unsigned char* p) const { stbi_image_free(p); }
};

uint8_t luma(uint8_t r, uint8_t g, uint8_t b) {
  // PIL's ImagingConvert "L" formula (ITU-R 601-2), in 16-bit fixed point.
  uint32_t v = 19595u * r + 38470u * g + 7471u * b + 0x8000u;
  return static_cast<uint8_t>(v >> 16);
}

}  // namespace

const char* tensor_layout_name(TensorLayout layout) {
  return layout == TensorLayout::kNCHW ? "NCHW" : "NHWC";
}

Result<Image> decode_image_file(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
  if (std::filesystem::is_directory(path, ec)) return invalid_argument(path + ": is a directory, not an image");
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open file");
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return invalid_argument(path + ": read error");
  return decode_image_memory(bytes.data(), bytes.size(), path);
}

Result<Image> decode_image_memory(const void* data, size_t size, const std::string& display_name) {
  if (size == 0) return invalid_argument(display_name + ": cannot decode image: empty file");
  if (size > static_cast<size_t>(INT_MAX)) {
    return invalid_argument(display_name + ": cannot decode image: file too large");
  }
  int w = 0, h = 0, c = 0;
  std::unique_ptr<unsigned char, StbiFree> pixels(stbi_load_from_memory(
      static_cast<const stbi_uc*>(data), static_cast<int>(size), &w, &h, &c, /*req_comp=*/0));
  if (!pixels) {
    const char* reason = stbi_failure_reason();
    return invalid_argument(display_name + ": cannot decode image: " + (reason ? reason : "unknown error"));
  }
  if (w <= 0 || h <= 0 || c < 1 || c > 4) {
    return invalid_argument(display_name + ": cannot decode image: bad dimensions");
  }
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels.assign(pixels.get(), pixels.get() + img.size());
  return img;
}

Image convert_channels(const Image& image, int channels) {
  FS_CHECK(channels == 1 || channels == 3);
  FS_CHECK(image.channels >= 1 && image.channels <= 4);
  if (image.channels == channels) return image;
  Image out;
  out.width = image.width;
  out.height = image.height;
  out.channels = channels;
  out.pixels.resize(out.size());
  const size_t n = static_cast<size_t>(image.width) * image.height;
  const int ci = image.channels;
  const uint8_t* src = image.pixels.data();
  uint8_t* dst = out.pixels.data();
  for (size_t i = 0; i < n; ++i) {
    const uint8_t* p = src + i * ci;
    if (channels == 1) {
      // 1/2 channels: grey (+alpha); 3/4 channels: RGB (+alpha).
      dst[i] = ci <= 2 ? p[0] : luma(p[0], p[1], p[2]);
    } else {
      if (ci <= 2) {
        dst[3 * i] = dst[3 * i + 1] = dst[3 * i + 2] = p[0];
      } else {
        std::memcpy(dst + 3 * i, p, 3);
      }
    }
  }
  return out;
}

Result<Image> resize_bilinear(const Image& image, int width, int height) {
  if (width <= 0 || height <= 0) {
    return invalid_argument("cannot resize an image to " + std::to_string(width) + "x" + std::to_string(height));
  }
  if (image.width == width && image.height == height) return image;
  Image out;
  out.width = width;
  out.height = height;
  out.channels = image.channels;
  out.pixels.resize(out.size());
  // Linear colorspace: resize the stored values as numbers, as PIL and
  // torchvision do (no sRGB gamma round-trip). No alpha channel handling:
  // convert_channels drops alpha before resizing in the normal pipeline.
  int ok = stbir_resize_uint8_generic(image.pixels.data(), image.width, image.height,
                                      image.width * image.channels, out.pixels.data(), width, height,
                                      width * image.channels, image.channels, /*alpha_channel=*/-1,
                                      /*flags=*/0, STBIR_EDGE_CLAMP, STBIR_FILTER_TRIANGLE,
                                      STBIR_COLORSPACE_LINEAR, nullptr);
  if (!ok) return resource_exhausted("image resize failed (out of memory?)");
  return out;
}

Status write_normalized(const Image& image, TensorLayout layout, const Normalization& norm, float* out) {
  const int c = image.channels;
  auto count_ok = [c](size_t n) { return n == 1 || n == static_cast<size_t>(c); };
  if (!count_ok(norm.mean.size())) {
    return invalid_argument("mean has " + std::to_string(norm.mean.size()) + " values; expected 1 or " +
                            std::to_string(c) + " (one per channel)");
  }
  if (!count_ok(norm.std.size())) {
    return invalid_argument("std has " + std::to_string(norm.std.size()) + " values; expected 1 or " +
                            std::to_string(c) + " (one per channel)");
  }
  for (float s : norm.std) {
    if (s == 0.f) return invalid_argument("std must not be 0");
  }
  FS_CHECK(image.pixels.size() == image.size());
  const size_t hw = static_cast<size_t>(image.width) * image.height;
  for (int ch = 0; ch < c; ++ch) {
    const float mean = norm.mean.size() == 1 ? norm.mean[0] : norm.mean[ch];
    const float std = norm.std.size() == 1 ? norm.std[0] : norm.std[ch];
    for (size_t i = 0; i < hw; ++i) {
      // Divisions, not reciprocal multiplies: bit-exact with numpy's x/255, (x-m)/s.
      float x = static_cast<float>(image.pixels[i * c + ch]) / 255.0f;
      if (norm.invert) x = 1.0f - x;
      x = (x - mean) / std;
      const size_t o = layout == TensorLayout::kNCHW ? ch * hw + i : i * c + ch;
      out[o] = x;
    }
  }
  return ok_status();
}

Result<Tensor> image_to_tensor(const Image& image, TensorLayout layout, const Normalization& norm) {
  Shape shape = layout == TensorLayout::kNCHW ? Shape{1, image.channels, image.height, image.width}
                                               : Shape{1, image.height, image.width, image.channels};
  Tensor t = Tensor::empty(DType::kF32, shape);
  FS_RETURN_IF_ERROR(write_normalized(image, layout, norm, t.data<float>()));
  return t;
}

}  // namespace fastserve
