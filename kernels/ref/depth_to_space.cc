// Reference DepthToSpace and SpaceToDepth (opset 11+ / 1+, any dtype) on
// [N, C, H, W] with block size b.
//   DepthToSpace DCR (default): out[n, c, h*b+i, w*b+j] = in[n, (i*b+j)*C' + c, h, w]
//   DepthToSpace CRD:           out[n, c, h*b+i, w*b+j] = in[n, c*b*b + i*b + j, h, w]
//   SpaceToDepth DCR (default): out[n, (i*b+j)*C + c, h, w] = in[n, c, h*b+i, w*b+j]
//   SpaceToDepth CRD:           out[n, c*b*b + i*b + j, h, w] = in[n, c, h*b+i, w*b+j]
// with C' = C / (b*b) the output channels (ONNX operator definitions, as
// reshape/transpose/reshape sequences).
#include <cstring>
#include <string>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status run_depth_space(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  const int64_t b = ctx.node.attr_int("blocksize", 0);
  const bool to_space = ctx.node.op_type() == "DepthToSpace";
  // SpaceToDepth gained the mode attribute later (absent: DCR, as before).
  const bool crd = ctx.node.attr_string("mode", "DCR") == "CRD";
  // Walk the space-side tensor [N, Cs, Hs, Ws] (y for DepthToSpace, x for
  // SpaceToDepth); compute the depth-side offset of each element.
  const Tensor& space = to_space ? y : x;
  const Tensor& depth = to_space ? x : y;
  const int64_t n = space.dim(0), cs = space.dim(1), hs = space.dim(2), ws = space.dim(3);
  const int64_t hd = depth.dim(2), wd = depth.dim(3), cd = depth.dim(1);
  const size_t es = dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t in = 0; in < n; ++in) {
    for (int64_t c = 0; c < cs; ++c) {
      for (int64_t h = 0; h < hs; ++h) {
        for (int64_t w = 0; w < ws; ++w) {
          const int64_t i = h % b, j = w % b;
          const int64_t dc = crd ? c * b * b + i * b + j : (i * b + j) * cs + c;
          const int64_t space_off = ((in * cs + c) * hs + h) * ws + w;
          const int64_t depth_off = ((in * cd + dc) * hd + h / b) * wd + w / b;
          if (to_space) std::memcpy(dst + space_off * static_cast<int64_t>(es), src + depth_off * static_cast<int64_t>(es), es);
          else std::memcpy(dst + depth_off * static_cast<int64_t>(es), src + space_off * static_cast<int64_t>(es), es);
        }
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_depth_to_space_kernels(KernelRegistry& r) {
  r.add({.name = "depth_to_space__ref", .op_type = "DepthToSpace", .since_version = 11, .dtype = DType::kUndefined,
         .run = run_depth_space});
  r.add({.name = "space_to_depth__ref", .op_type = "SpaceToDepth", .since_version = 1, .dtype = DType::kUndefined,
         .run = run_depth_space});
}

}  // namespace fastserve
