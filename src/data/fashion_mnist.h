// IDX files (the MNIST / Fashion-MNIST container) and the Fashion-MNIST test set.
//
// IDX: a big-endian header — two zero bytes, a type code (0x08 = uint8), the
// number of dims — then one big-endian uint32 per dim, then the raw data in
// row-major order. Files may be gzipped (read through zlib's gzread, which
// also reads uncompressed files as they are).
// http://yann.lecun.com/exdb/mnist/ describes the format.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"

namespace fastserve {

struct IdxArray {
  std::vector<int64_t> dims;
  std::vector<uint8_t> data;  // product(dims) bytes
};

// Reads a uint8 IDX file (optionally gzipped). Errors name the file:
// kNotFound when missing; kInvalidArgument for a bad magic number (not IDX,
// not uint8, zero dims), a truncated file, trailing bytes, or a size over 1 GiB.
Result<IdxArray> read_idx_u8(const std::string& path);

inline constexpr std::string_view kFashionMnistDefaultDir = "/usr/share/datasets/fashion-mnist";
inline constexpr std::array<std::string_view, 10> kFashionMnistClassNames = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"};

struct Dataset {
  int64_t count = 0;
  int rows = 0;
  int cols = 0;
  std::vector<uint8_t> images;  // count * rows * cols, grey 0..255, row-major
  std::vector<uint8_t> labels;  // count, each < 10

  const uint8_t* image(int64_t i) const { return images.data() + i * rows * cols; }
};

// Loads "<dir>/<split>-images-idx3-ubyte.gz" and "<dir>/<split>-labels-idx1-ubyte.gz"
// (split: "t10k" or "train"). Checks ranks (3 and 1), equal counts and labels < 10.
Result<Dataset> load_fashion_mnist(const std::string& dir, std::string_view split = "t10k");

}  // namespace fastserve
