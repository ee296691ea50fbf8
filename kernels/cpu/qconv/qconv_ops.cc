// Descriptors on the INT8 convolution engine (qconv.h):
//   qconv_u8s8__{vnni,portable}         fastserve.QConv (NHWC, [+ Relu])
//   qlinear_conv_u8s8__{vnni,portable}  ONNX QLinearConv, 2-D NCHW: the
//       input is turned channels-last into a per-thread buffer and the
//       result back (QDQ models avoid this: fuse_qdq makes QConv chains)
// The vnni variants take AMX tiles where the CPU and Linux allow them
// (qgemm_ukernel_for_isa). Anything else (int8 x, non-constant weights or
// quantization parameters, 1-D / 3-D) runs on the reference kernels.
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu/qconv/qconv.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

bool accepts_qconv(const NodeView& node) {
  const std::string act = node.attr_string("activation", "");
  return (act.empty() || act == "Relu") && qconv_accepts(node);
}

template <Isa kIsa>
Status prepare_qconv(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(auto plan, make_qconv_plan(node, kIsa, node.attr_string("activation", "") == "Relu"));
  ctx.packed_inputs |= 1u << 3;
  ctx.state = std::move(plan);
  return ok_status();
}

Status run_qconv(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  if (x.rank() != 4) return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not NHWC");
  const auto& plan = ctx.state_as<QConvPlan>();
  if (x.dim(3) != plan.cg * plan.group) {
    return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " does not have " +
                                                            std::to_string(plan.cg * plan.group) + " channels");
  }
  return run_qconv_nhwc(ctx.node, plan, static_cast<const uint8_t*>(x.raw_data()), x.dim(0), x.dim(1), x.dim(2),
                        static_cast<uint8_t*>(ctx.outputs[0]->raw_data()), ctx.pool);
}

// [planes][pixels] -> [pixels][planes] bytes, in 32 x 32 blocks.
void transpose_bytes(const uint8_t* src, int64_t rows, int64_t cols, uint8_t* dst) {
  constexpr int64_t kB = 32;
  for (int64_t r0 = 0; r0 < rows; r0 += kB) {
    for (int64_t c0 = 0; c0 < cols; c0 += kB) {
      const int64_t r1 = std::min(rows, r0 + kB), c1 = std::min(cols, c0 + kB);
      for (int64_t r = r0; r < r1; ++r) {
        for (int64_t c = c0; c < c1; ++c) dst[c * rows + r] = src[r * cols + c];
      }
    }
  }
}

bool accepts_qlinear_conv(const NodeView& node) {
  if (!qconv_accepts(node)) return false;
  return !node.input(0).shape_known || node.input(0).shape.rank() == 4;
}

Status run_qlinear_conv(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  if (x.rank() != 4 || y.rank() != 4) {
    return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " is not 2-D NCHW");
  }
  const auto& plan = ctx.state_as<QConvPlan>();
  const int64_t n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t m = y.dim(1), ohw = y.dim(2) * y.dim(3);
  if (c != plan.cg * plan.group) {
    return ctx.node.error(StatusCode::kInvalidArgument, "x " + x.shape().to_string() + " does not have " +
                                                            std::to_string(plan.cg * plan.group) + " channels");
  }
  // The caller's thread owns these; the pool's threads only read / write them.
  thread_local std::vector<uint8_t> xin, yout;
  xin.resize(static_cast<size_t>(x.numel()));
  yout.resize(static_cast<size_t>(y.numel()));
  const auto* xs = static_cast<const uint8_t*>(x.raw_data());
  for (int64_t i = 0; i < n; ++i) transpose_bytes(xs + i * c * h * w, c, h * w, xin.data() + i * c * h * w);
  FS_RETURN_IF_ERROR(run_qconv_nhwc(ctx.node, plan, xin.data(), n, h, w, yout.data(), ctx.pool));
  auto* ys = static_cast<uint8_t*>(y.raw_data());
  for (int64_t i = 0; i < n; ++i) transpose_bytes(yout.data() + i * m * ohw, ohw, m, ys + i * m * ohw);
  return ok_status();
}

template <Isa kIsa>
Status prepare_qlinear_conv(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(auto plan, make_qconv_plan(node, kIsa, false));
  ctx.packed_inputs |= 1u << 3;
  ctx.state = std::move(plan);
  return ok_status();
}

}  // namespace

void register_cpu_qconv_kernels(KernelRegistry& r) {
#ifdef FASTSERVE_QGEMM_X86
  r.add({.name = "qconv_u8s8__vnni", .op_type = "QConv", .domain = "fastserve", .dtype = DType::kUndefined,
         .required_isa = Isa::kAvx512Vnni, .priority = 30, .accepts = accepts_qconv,
         .prepare = prepare_qconv<Isa::kAvx512Vnni>, .run = run_qconv});
  r.add({.name = "qlinear_conv_u8s8__vnni", .op_type = "QLinearConv", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kAvx512Vnni, .priority = 30,
         .accepts = accepts_qlinear_conv, .prepare = prepare_qlinear_conv<Isa::kAvx512Vnni>,
         .run = run_qlinear_conv});
#endif
  r.add({.name = "qconv_u8s8__portable", .op_type = "QConv", .domain = "fastserve", .dtype = DType::kUndefined,
         .required_isa = Isa::kScalar, .priority = 10, .accepts = accepts_qconv,
         .prepare = prepare_qconv<Isa::kScalar>, .run = run_qconv});
  r.add({.name = "qlinear_conv_u8s8__portable", .op_type = "QLinearConv", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kScalar, .priority = 10,
         .accepts = accepts_qlinear_conv, .prepare = prepare_qlinear_conv<Isa::kScalar>,
         .run = run_qlinear_conv});
}

}  // namespace fastserve
