// Shape and Tensor: the data that flows between ops.
//
// A Tensor is a dtype, a shape and a pointer into a buffer it shares
// ownership of. The buffer may be a heap allocation, a slice of a
// memory-mapped model file (weights are never copied), or caller memory
// (Tensor::borrow). Copying a Tensor copies the handle, not the data; use
// clone() for a deep copy. Data is dense, row-major (C order).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include "fastserve/dtype.h"
#include "fastserve/status.h"

namespace fastserve {

// Dims of a tensor. At graph level a dim may be unknown (kUnknownDim) and
// carry a symbolic name (see ValueInfo in graph.h); at run time every dim is >= 0.
inline constexpr int64_t kUnknownDim = -1;

class Shape {
 public:
  Shape() = default;
  Shape(std::initializer_list<int64_t> dims) : dims_(dims) {}
  explicit Shape(std::vector<int64_t> dims) : dims_(std::move(dims)) {}

  size_t rank() const { return dims_.size(); }
  int64_t operator[](size_t i) const { return dims_[i]; }
  int64_t& operator[](size_t i) { return dims_[i]; }
  const std::vector<int64_t>& dims() const { return dims_; }
  std::vector<int64_t>& dims() { return dims_; }
  // Product of dims; 1 for a scalar (rank 0). Requires is_static().
  int64_t numel() const;
  // True when no dim is unknown.
  bool is_static() const;
  bool operator==(const Shape& o) const { return dims_ == o.dims_; }
  bool operator!=(const Shape& o) const { return dims_ != o.dims_; }
  // "[1,3,224,224]", unknown dims print as "?".
  std::string to_string() const;

 private:
  std::vector<int64_t> dims_;
};

// Normalizes a possibly negative axis against rank; error if out of [-rank, rank).
Result<int64_t> normalize_axis(int64_t axis, int64_t rank);

class Tensor {
 public:
  Tensor() = default;

  // Allocates zero-initialized, 64-byte aligned storage.
  static Tensor zeros(DType dtype, Shape shape);
  // Allocates without initializing (for outputs that kernels overwrite fully).
  static Tensor empty(DType dtype, Shape shape);
  // Wraps memory owned elsewhere; `owner` keeps it alive (may be null for
  // caller-managed memory that outlives the tensor, e.g. a borrowed input).
  static Tensor wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner);
  // Copies `values` into a new 1-D (or given-shape) tensor. For tests and small constants.
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values, Shape shape);
  template <typename T>
  static Tensor from_vector(const std::vector<T>& values) {
    return from_vector(values, Shape{static_cast<int64_t>(values.size())});
  }
  template <typename T>
  static Tensor scalar(T v) { return from_vector(std::vector<T>{v}, Shape{}); }

  bool defined() const { return dtype_ != DType::kUndefined; }
  DType dtype() const { return dtype_; }
  const Shape& shape() const { return shape_; }
  size_t rank() const { return shape_.rank(); }
  int64_t dim(size_t i) const { return shape_[i]; }
  int64_t numel() const { return shape_.numel(); }
  size_t nbytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype_); }

  void* raw_data() { return data_; }
  const void* raw_data() const { return data_; }
  template <typename T> T* data() { check_type(DTypeOf<T>::value); return static_cast<T*>(data_); }
  template <typename T> const T* data() const { check_type(DTypeOf<T>::value); return static_cast<const T*>(data_); }

  // Same data, new shape with equal numel (no copy).
  Tensor reshaped(Shape shape) const;
  // Deep copy into fresh storage.
  Tensor clone() const;
  // Reads element i converted to double / int64 (any numeric dtype). Slow; for
  // small shape tensors and tests.
  double element_as_double(int64_t i) const;
  int64_t element_as_int64(int64_t i) const;
  // Values of a 0-D or 1-D integer tensor as int64 (shape arguments like Reshape's).
  Result<std::vector<int64_t>> to_int64_vector() const;

  std::string to_string() const;  // "float32[1,3,224,224]"

 private:
  void check_type(DType t) const;
  DType dtype_ = DType::kUndefined;
  Shape shape_;
  void* data_ = nullptr;
  std::shared_ptr<const void> owner_;
};

template <typename T>
Tensor Tensor::from_vector(const std::vector<T>& values, Shape shape) {
  Tensor t = Tensor::empty(DTypeOf<T>::value, std::move(shape));
  FS_CHECK(static_cast<size_t>(t.numel()) == values.size());
  if constexpr (std::is_same_v<T, bool>) {
    bool* d = t.data<bool>();
    for (size_t i = 0; i < values.size(); ++i) d[i] = values[i];
  } else {
    if (!values.empty()) std::memcpy(t.raw_data(), values.data(), values.size() * sizeof(T));
  }
  return t;
}

}  // namespace fastserve
