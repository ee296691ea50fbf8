// Shape arithmetic and Tensor storage (64-byte aligned, shared ownership).
#include "fastserve/tensor.h"

#include <cmath>
#include <cstdlib>
#include <limits>

#include "fastserve/low_precision.h"

namespace fastserve {

namespace {
// Cache-line and AVX-512 register alignment: kernels may use aligned loads on
// freshly allocated tensors.
constexpr size_t kTensorAlignment = 64;

std::shared_ptr<void> allocate_aligned(size_t bytes, bool zero) {
  // aligned_alloc needs a size that is a multiple of the alignment; a zero-size
  // tensor still gets one line so data pointers are never null.
  size_t rounded = (bytes + kTensorAlignment - 1) / kTensorAlignment * kTensorAlignment;
  if (rounded == 0) rounded = kTensorAlignment;
  void* p = std::aligned_alloc(kTensorAlignment, rounded);
  FS_CHECK_MSG(p != nullptr, "out of memory allocating tensor storage");
  if (zero) std::memset(p, 0, rounded);
  return std::shared_ptr<void>(p, [](void* q) { std::free(q); });
}

Tensor allocate_tensor(DType dtype, Shape shape, bool zero) {
  FS_CHECK_MSG(dtype_is_storable(dtype), dtype_name(dtype));
  FS_CHECK_MSG(shape.is_static(), "tensor shapes must be static");
  for (int64_t d : shape.dims()) FS_CHECK_MSG(d >= 0, "negative dim in tensor shape");
  const int64_t n = shape.numel();
  const size_t elem = dtype_size(dtype);
  FS_CHECK_MSG(n >= 0 && static_cast<uint64_t>(n) <= std::numeric_limits<size_t>::max() / elem,
               "tensor byte size overflows");
  std::shared_ptr<void> storage = allocate_aligned(static_cast<size_t>(n) * elem, zero);
  void* data = storage.get();
  return Tensor::wrap(dtype, std::move(shape), data, std::move(storage));
}
}  // namespace

int64_t Shape::numel() const {
  FS_CHECK_MSG(is_static(), "numel() of a shape with unknown dims");
  int64_t n = 1;
  for (int64_t d : dims_) n *= d;
  return n;
}

bool Shape::is_static() const {
  for (int64_t d : dims_) {
    if (d < 0) return false;
  }
  return true;
}

std::string Shape::to_string() const {
  std::string s = "[";
  for (size_t i = 0; i < dims_.size(); ++i) {
    if (i > 0) s += ',';
    s += dims_[i] < 0 ? std::string("?") : std::to_string(dims_[i]);
  }
  s += ']';
  return s;
}

Result<int64_t> normalize_axis(int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank) {
    return out_of_range("axis " + std::to_string(axis) + " is out of range for rank " +
                        std::to_string(rank) + " (expected [" + std::to_string(-rank) + ", " +
                        std::to_string(rank - 1) + "])");
  }
  return axis < 0 ? axis + rank : axis;
}

Tensor Tensor::zeros(DType dtype, Shape shape) { return allocate_tensor(dtype, std::move(shape), true); }

Tensor Tensor::empty(DType dtype, Shape shape) { return allocate_tensor(dtype, std::move(shape), false); }

Tensor Tensor::wrap(DType dtype, Shape shape, void* data, std::shared_ptr<const void> owner) {
  Tensor t;
  t.dtype_ = dtype;
  t.shape_ = std::move(shape);
  t.data_ = data;
  t.owner_ = std::move(owner);
  return t;
}

Tensor Tensor::reshaped(Shape shape) const {
  FS_CHECK_MSG(shape.numel() == numel(), "reshaped() must keep the element count");
  return wrap(dtype_, std::move(shape), data_, owner_);
}

Tensor Tensor::clone() const {
  if (!defined()) return Tensor();
  Tensor t = empty(dtype_, shape_);
  if (nbytes() > 0) std::memcpy(t.raw_data(), data_, nbytes());
  return t;
}

namespace {
template <typename T>
T load(const void* base, int64_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(base) + static_cast<size_t>(i) * sizeof(T), sizeof(T));
  return v;
}
}  // namespace

double Tensor::element_as_double(int64_t i) const {
  FS_CHECK_MSG(i >= 0 && i < numel(), "element index out of range");
  switch (dtype_) {
    case DType::kF32: return load<float>(data_, i);
    case DType::kF64: return load<double>(data_, i);
    case DType::kF16: return half_to_float(load<uint16_t>(data_, i));
    case DType::kBF16: return bf16_to_float(load<uint16_t>(data_, i));
    case DType::kU8: return load<uint8_t>(data_, i);
    case DType::kI8: return load<int8_t>(data_, i);
    case DType::kU16: return load<uint16_t>(data_, i);
    case DType::kI16: return load<int16_t>(data_, i);
    case DType::kI32: return load<int32_t>(data_, i);
    case DType::kI64: return static_cast<double>(load<int64_t>(data_, i));
    case DType::kU32: return load<uint32_t>(data_, i);
    case DType::kU64: return static_cast<double>(load<uint64_t>(data_, i));
    case DType::kBool: return load<uint8_t>(data_, i) != 0 ? 1.0 : 0.0;
    case DType::kF8E4M3FN: case DType::kF8E4M3FNUZ: case DType::kF8E5M2: case DType::kF8E5M2FNUZ:
    case DType::kF8E8M0: case DType::kF4E2M1: case DType::kI4: case DType::kU4: case DType::kI2:
    case DType::kU2: return low_precision_to_double(dtype_, load<uint8_t>(data_, i));
    case DType::kString:
    case DType::kUndefined: break;
  }
  FS_CHECK_MSG(false, "element_as_double on a non-numeric tensor");
  return 0;
}

int64_t Tensor::element_as_int64(int64_t i) const {
  FS_CHECK_MSG(i >= 0 && i < numel(), "element index out of range");
  switch (dtype_) {
    case DType::kI64: return load<int64_t>(data_, i);
    case DType::kU64: {
      // Saturate rather than wrap: these feed shape arithmetic.
      const uint64_t v = load<uint64_t>(data_, i);
      return v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())
                 ? std::numeric_limits<int64_t>::max()
                 : static_cast<int64_t>(v);
    }
    case DType::kF32: case DType::kF64: case DType::kF16: case DType::kBF16:
    case DType::kF8E4M3FN: case DType::kF8E4M3FNUZ: case DType::kF8E5M2: case DType::kF8E5M2FNUZ:
    case DType::kF8E8M0: case DType::kF4E2M1: {
      // Truncate toward zero like a C cast, but without UB on NaN / out of range.
      const double d = element_as_double(i);
      if (std::isnan(d)) return 0;
      if (d >= 9223372036854775807.0) return std::numeric_limits<int64_t>::max();
      if (d <= -9223372036854775808.0) return std::numeric_limits<int64_t>::min();
      return static_cast<int64_t>(d);
    }
    default:
      return static_cast<int64_t>(element_as_double(i));  // exact for every other integer type
  }
}

Result<std::vector<int64_t>> Tensor::to_int64_vector() const {
  if ((dtype_ != DType::kI64 && dtype_ != DType::kI32) || rank() > 1) {
    return invalid_argument("expected a 0-D or 1-D int32/int64 tensor, got " + to_string());
  }
  const int64_t n = numel();
  std::vector<int64_t> out(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) out[static_cast<size_t>(i)] = element_as_int64(i);
  return out;
}

std::string Tensor::to_string() const {
  if (!defined()) return "undefined";
  return std::string(dtype_name(dtype_)) + shape_.to_string();
}

void Tensor::check_type(DType t) const {
  if (dtype_ == t) return;
  const std::string msg = std::string("tensor is ") + dtype_name(dtype_) + ", accessed as " + dtype_name(t);
  check_failed(__FILE__, __LINE__, "dtype_ == t", msg.c_str());
}

}  // namespace fastserve
