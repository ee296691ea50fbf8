// Reference Trilu (opset 14+, any dtype): keeps the upper (upper=1, the
// default) or lower triangle of each matrix in the last two dims and zeroes
// the rest. Element (i, j) is kept when j - i >= k (upper) or j - i <= k
// (lower); k is the optional int64 scalar input 1 (default 0).
#include <cstring>
#include <string>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_trilu(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  int64_t k = 0;
  if (ctx.inputs.size() > 1 && ctx.inputs[1] != nullptr) {
    if (ctx.inputs[1]->numel() != 1) return ctx.node.error(StatusCode::kInvalidArgument, "k must be a scalar");
    k = ctx.inputs[1]->element_as_int64(0);
  }
  const bool upper = ctx.node.attr_int("upper", 1) != 0;
  const size_t rank = x.rank();
  FS_CHECK(rank >= 2);
  const int64_t rows = x.dim(rank - 2), cols = x.dim(rank - 1);
  const int64_t mats = rows * cols == 0 ? 0 : x.numel() / (rows * cols);
  const size_t es = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t m = 0; m < mats; ++m) {
    for (int64_t i = 0; i < rows; ++i) {
      for (int64_t j = 0; j < cols; ++j) {
        const size_t off = static_cast<size_t>((m * rows + i) * cols + j) * es;
        const bool keep = upper ? j - i >= k : j - i <= k;
        if (keep) std::memcpy(dst + off, src + off, es);
        else std::memset(dst + off, 0, es);  // zero is all-zero bytes in every dtype
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_trilu_kernels(KernelRegistry& r) {
  r.add({.name = "trilu__ref", .op_type = "Trilu", .since_version = 14, .dtype = DType::kUndefined,
         .run = run_trilu});
}

}  // namespace fastserve
