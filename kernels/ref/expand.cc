// Reference Expand (opset 8+, any dtype): numpy-broadcasts the input to the
// shape input (bidirectionally: a 1 in the shape keeps the input's dim, and
// the result has max(rank) dims). The output shape comes from shape
// inference; each output element copies the input element its broadcast
// strides (0 on broadcast dims) point at.
#include <cstring>
#include <vector>

#include "graph/shape_utils.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_expand(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const std::vector<int64_t> st = broadcast_strides(x.shape(), y.shape());
  const size_t es = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  if (y.numel() == 0) return ok_status();
  std::vector<int64_t> idx(y.rank(), 0);
  int64_t o = 0;
  do {
    int64_t in = 0;
    for (size_t k = 0; k < idx.size(); ++k) in += idx[k] * st[k];
    std::memcpy(dst + static_cast<size_t>(o++) * es, src + static_cast<size_t>(in) * es, es);
  } while (next_index(idx, y.shape()));
  return ok_status();
}

}  // namespace

void register_ref_expand_kernels(KernelRegistry& r) {
  r.add({.name = "expand__ref", .op_type = "Expand", .since_version = 8, .dtype = DType::kUndefined,
         .run = run_expand});
}

}  // namespace fastserve
