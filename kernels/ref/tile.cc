// Reference Tile (opset 6+, any dtype): output dim i is input dim i times
// repeats[i]; output element (j0, j1, ...) copies input element
// (j0 mod d0, j1 mod d1, ...). The output shape comes from shape inference.
#include <cstring>
#include <vector>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_tile(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  FS_CHECK(x.rank() == y.rank());
  if (y.numel() == 0) return ok_status();
  const std::vector<int64_t> st = row_major_strides(x.shape());
  const size_t es = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  std::vector<int64_t> idx(y.rank(), 0);
  int64_t o = 0;
  do {
    int64_t in = 0;
    for (size_t k = 0; k < idx.size(); ++k) in += (idx[k] % x.dim(k)) * st[k];
    std::memcpy(dst + static_cast<size_t>(o++) * es, src + static_cast<size_t>(in) * es, es);
  } while (next_index(idx, y.shape()));
  return ok_status();
}

}  // namespace

void register_ref_tile_kernels(KernelRegistry& r) {
  r.add({.name = "tile__ref", .op_type = "Tile", .since_version = 6, .dtype = DType::kUndefined, .run = run_tile});
}

}  // namespace fastserve
