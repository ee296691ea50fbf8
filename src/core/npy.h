// NumPy .npy files (format 1.0/2.0/3.0, little-endian, C order) <-> Tensor.
// Used by `fastserve run --input x.npy --output y.npy` and by tests, which
// read ONNX Runtime's outputs from tests/golden without Python.
#pragma once

#include <cstddef>
#include <string>

#include "fastserve/tensor.h"

namespace fastserve {

Result<Tensor> read_npy(const std::string& path);
Result<Tensor> parse_npy(const void* data, size_t size, const std::string& display_name);
Status write_npy(const std::string& path, const Tensor& t);

}  // namespace fastserve
