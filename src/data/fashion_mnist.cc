// IDX reader (gzip through zlib) and the Fashion-MNIST loader.
#include "data/fashion_mnist.h"

#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

namespace fastserve {
namespace {

constexpr int64_t kMaxIdxBytes = int64_t{1} << 30;

struct GzClose {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzClose>;

// Reads exactly n bytes; returns how many were read, or -1 on a zlib error
// (a corrupt gzip stream).
int64_t read_fully(gzFile f, uint8_t* dst, int64_t n) {
  int64_t done = 0;
  while (done < n) {
    // gzread takes an unsigned count; read in chunks well below INT_MAX.
    const unsigned chunk = static_cast<unsigned>(std::min<int64_t>(n - done, int64_t{1} << 24));
    int got = gzread(f, dst + done, chunk);
    if (got < 0) return -1;
    if (got == 0) break;
    done += got;
  }
  return done;
}

std::string gz_error(gzFile f) {
  int errnum = 0;
  const char* msg = gzerror(f, &errnum);
  return msg && *msg ? msg : "corrupt gzip data";
}

}  // namespace

Result<IdxArray> read_idx_u8(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such file");
  GzFile f(gzopen(path.c_str(), "rb"));
  if (!f) return not_found(path + ": cannot open file");

  uint8_t header[4];
  int64_t got = read_fully(f.get(), header, 4);
  if (got < 0) return invalid_argument(path + ": " + gz_error(f.get()));
  if (got < 4) return invalid_argument(path + ": truncated IDX header");
  if (header[0] != 0 || header[1] != 0) {
    return invalid_argument(path + ": not an IDX file (bad magic number)");
  }
  if (header[2] != 0x08) {
    char type_hex[8];
    std::snprintf(type_hex, sizeof type_hex, "0x%02x", header[2]);
    return invalid_argument(path + ": IDX element type " + type_hex + " is not unsigned byte (0x08)");
  }
  const int ndims = header[3];
  if (ndims == 0) return invalid_argument(path + ": IDX file with 0 dims");

  IdxArray out;
  int64_t total = 1;
  for (int i = 0; i < ndims; ++i) {
    uint8_t b[4];
    got = read_fully(f.get(), b, 4);
    if (got < 0) return invalid_argument(path + ": " + gz_error(f.get()));
    if (got < 4) return invalid_argument(path + ": truncated IDX header");
    const int64_t d = (int64_t{b[0]} << 24) | (int64_t{b[1]} << 16) | (int64_t{b[2]} << 8) | b[3];
    out.dims.push_back(d);
    total *= d;
    if (total > kMaxIdxBytes) return invalid_argument(path + ": IDX data larger than 1 GiB");
  }

  out.data.resize(static_cast<size_t>(total));
  got = read_fully(f.get(), out.data.data(), total);
  if (got < 0) return invalid_argument(path + ": " + gz_error(f.get()));
  if (got < total) {
    return invalid_argument(path + ": truncated: header promises " + std::to_string(total) +
                            " data bytes, file has " + std::to_string(got));
  }
  uint8_t extra;
  got = read_fully(f.get(), &extra, 1);
  if (got < 0) return invalid_argument(path + ": " + gz_error(f.get()));
  if (got != 0) return invalid_argument(path + ": trailing bytes after the IDX data");
  return out;
}

Result<Dataset> load_fashion_mnist(const std::string& dir, std::string_view split) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return not_found(dir + ": no such dataset folder");
  const std::string images_path = (std::filesystem::path(dir) / (std::string(split) + "-images-idx3-ubyte.gz")).string();
  const std::string labels_path = (std::filesystem::path(dir) / (std::string(split) + "-labels-idx1-ubyte.gz")).string();
  FS_ASSIGN_OR_RETURN(IdxArray images, read_idx_u8(images_path));
  FS_ASSIGN_OR_RETURN(IdxArray labels, read_idx_u8(labels_path));
  if (images.dims.size() != 3) {
    return invalid_argument(images_path + ": expected 3 dims (count, rows, cols), got " +
                            std::to_string(images.dims.size()));
  }
  if (labels.dims.size() != 1) {
    return invalid_argument(labels_path + ": expected 1 dim (count), got " + std::to_string(labels.dims.size()));
  }
  if (images.dims[0] != labels.dims[0]) {
    return invalid_argument(images_path + " has " + std::to_string(images.dims[0]) + " images but " +
                            labels_path + " has " + std::to_string(labels.dims[0]) + " labels");
  }
  if (images.dims[1] <= 0 || images.dims[2] <= 0 || images.dims[1] > 65536 || images.dims[2] > 65536) {
    return invalid_argument(images_path + ": bad image size");
  }
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= kFashionMnistClassNames.size()) {
      return invalid_argument(labels_path + ": label " + std::to_string(labels.data[i]) + " at index " +
                              std::to_string(i) + " is not a class 0..9");
    }
  }
  Dataset ds;
  ds.count = images.dims[0];
  ds.rows = static_cast<int>(images.dims[1]);
  ds.cols = static_cast<int>(images.dims[2]);
  ds.images = std::move(images.data);
  ds.labels = std::move(labels.data);
  return ds;
}

}  // namespace fastserve
