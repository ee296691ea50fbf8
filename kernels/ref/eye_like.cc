// Reference EyeLike (opset 9+): a 2-D tensor of the input's shape with ones
// on the k-th diagonal (k attribute, default 0: element (i, i + k)) and
// zeros elsewhere; the dtype is the 'dtype' attribute's, else the input's.
// Only the input's shape is read, so any input dtype works.
#include <cstring>
#include <string>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

// Writes the value one in `dtype` to dst.
Status write_one(const NodeView& node, DType dtype, void* dst) {
  switch (dtype) {
    case DType::kF32: { const float v = 1.0f; std::memcpy(dst, &v, 4); return ok_status(); }
    case DType::kF64: { const double v = 1.0; std::memcpy(dst, &v, 8); return ok_status(); }
    case DType::kF16: { const uint16_t v = float_to_half(1.0f); std::memcpy(dst, &v, 2); return ok_status(); }
    case DType::kBF16: { const uint16_t v = float_to_bf16(1.0f); std::memcpy(dst, &v, 2); return ok_status(); }
    default:
      if (dtype_is_integer(dtype) || dtype == DType::kBool) {
        // Little-endian integers and bool: one in the lowest byte.
        std::memset(dst, 0, dtype_size(dtype));
        *static_cast<uint8_t*>(dst) = 1;
        return ok_status();
      }
      return node.error(StatusCode::kUnsupported, std::string("dtype ") + dtype_name(dtype) + " is not supported");
  }
}

Status run_eye_like(const KernelContext& ctx) {
  Tensor& y = *ctx.outputs[0];
  FS_CHECK(y.rank() == 2);
  const int64_t rows = y.dim(0), cols = y.dim(1);
  const int64_t k = ctx.node.attr_int("k", 0);
  const size_t es = dtype_size(y.dtype());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  if (y.nbytes() > 0) std::memset(dst, 0, y.nbytes());
  for (int64_t i = 0; i < rows; ++i) {
    const int64_t j = i + k;
    if (j < 0 || j >= cols) continue;
    FS_RETURN_IF_ERROR(write_one(ctx.node, y.dtype(), dst + static_cast<size_t>(i * cols + j) * es));
  }
  return ok_status();
}

}  // namespace

void register_ref_eye_like_kernels(KernelRegistry& r) {
  r.add({.name = "eye_like__ref", .op_type = "EyeLike", .since_version = 9, .dtype = DType::kUndefined,
         .run = run_eye_like});
}

}  // namespace fastserve
