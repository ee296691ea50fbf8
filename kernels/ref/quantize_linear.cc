// Reference QuantizeLinear, DequantizeLinear (opsets 10-23: per tensor,
// per axis, blocked; integer targets int2..int16 and uint2..uint16, float8
// and float4 targets) and DynamicQuantizeLinear, on core/quantize.h's
// arithmetic. Plain loops: the oracle for the integer kernels.
//
//   QuantizeLinear    y = saturate(round_half_even(x / scale) + zero_point)
//                     (float targets: y = convert(x / scale + zero_point),
//                     saturating unless saturate = 0)
//   DequantizeLinear  y = (x - zero_point) * scale
//   DynamicQuantizeLinear  uint8: scale = (max(x, 0) - min(x, 0)) / 255,
//                     zero_point = saturate(round(-min(x, 0) / scale))
//
// The layout of scale (and zero point, the same shape) follows from its
// shape and the axis / block_size attributes: a scalar (or one value) is
// per tensor; a 1-D [dim(axis)] per axis; with block_size > 0, x's shape
// with dim(axis) shrunk to ceil(dim / block_size).
#include <cmath>
#include <string>
#include <vector>

#include "core/quantize.h"
#include "fastserve/low_precision.h"
#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

bool is_float_target(DType t) {
  switch (t) {
    case DType::kF8E4M3FN: case DType::kF8E4M3FNUZ: case DType::kF8E5M2: case DType::kF8E5M2FNUZ:
    case DType::kF4E2M1:
      return true;
    default:
      return false;
  }
}

uint8_t encode_float_target(DType t, float v, bool saturate) {
  switch (t) {
    case DType::kF8E4M3FN: return float_to_f8e4m3fn(v, saturate);
    case DType::kF8E4M3FNUZ: return float_to_f8e4m3fnuz(v, saturate);
    case DType::kF8E5M2: return float_to_f8e5m2(v, saturate);
    case DType::kF8E5M2FNUZ: return float_to_f8e5m2fnuz(v, saturate);
    default: return float_to_f4e2m1(v);
  }
}

// The layout of `scale` for x (see the file comment); an error naming the node otherwise.
Result<QuantLayout> qdq_layout(const NodeView& node, const Shape& x, const Shape& scale) {
  const int64_t block = node.opset() >= 21 ? node.attr_int("block_size", 0) : 0;
  if (block < 0) return node.error(StatusCode::kInvalidArgument, "block_size " + std::to_string(block) + " < 0");
  if (block == 0 && (scale.rank() == 0 || (scale.rank() == 1 && scale[0] == 1))) return QuantLayout{};
  const auto rank = static_cast<int64_t>(x.rank());
  int64_t axis = node.attr_int("axis", 1);
  if (axis < -rank || axis >= rank) {
    return node.error(StatusCode::kInvalidArgument,
                      "axis " + std::to_string(axis) + " is out of range for x " + x.to_string());
  }
  if (axis < 0) axis += rank;
  const QuantLayout layout{axis, block};
  const std::string what = "scale " + scale.to_string() + " for x " + x.to_string() + " (axis " +
                           std::to_string(axis) + (block > 0 ? ", block_size " + std::to_string(block) : "") + ")";
  if (block == 0) {
    if (scale.rank() != 1 || scale[0] != x[static_cast<size_t>(axis)]) {
      return node.error(StatusCode::kInvalidArgument, what + ": want a scalar or a 1-D tensor of dim(axis)");
    }
    return layout;
  }
  bool ok = scale.rank() == x.rank();
  for (size_t i = 0; ok && i < x.rank(); ++i) {
    const int64_t want = static_cast<int64_t>(i) == axis ? (x[i] + block - 1) / block : x[i];
    ok = scale[i] == want;
  }
  if (!ok) return node.error(StatusCode::kInvalidArgument, what + ": want x's shape with dim(axis) / block_size");
  return layout;
}

// Scales (as float) and zero points (as their integer or float value).
struct QdqParams {
  QuantLayout layout;
  std::vector<float> scale;
  std::vector<double> zero_point;
};

Result<QdqParams> qdq_params(const NodeView& node, const Tensor& x, const Tensor& scale, const Tensor* zp) {
  QdqParams p;
  FS_ASSIGN_OR_RETURN(p.layout, qdq_layout(node, x.shape(), scale.shape()));
  if (zp != nullptr && zp->shape().numel() != scale.numel()) {
    return node.error(StatusCode::kInvalidArgument,
                      "zero point " + zp->shape().to_string() + " and scale " + scale.shape().to_string() + " differ");
  }
  p.scale.resize(static_cast<size_t>(scale.numel()));
  p.zero_point.assign(static_cast<size_t>(scale.numel()), 0.0);
  for (int64_t i = 0; i < scale.numel(); ++i) {
    p.scale[static_cast<size_t>(i)] = static_cast<float>(scale.element_as_double(i));
    if (zp != nullptr) p.zero_point[static_cast<size_t>(i)] = zp->element_as_double(i);
  }
  return p;
}

void store_integer(Tensor& y, int64_t i, int32_t q) {
  switch (y.dtype()) {
    case DType::kI8: case DType::kI4: case DType::kI2:
      static_cast<int8_t*>(y.raw_data())[i] = static_cast<int8_t>(q);
      break;
    case DType::kI16:
      static_cast<int16_t*>(y.raw_data())[i] = static_cast<int16_t>(q);
      break;
    case DType::kU16:
      static_cast<uint16_t*>(y.raw_data())[i] = static_cast<uint16_t>(q);
      break;
    default:  // uint8, uint4, uint2
      static_cast<uint8_t*>(y.raw_data())[i] = static_cast<uint8_t>(q);
      break;
  }
}

Status run_quantize_linear(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& scale = *ctx.inputs[1];
  const Tensor* zp = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const QdqParams p, qdq_params(ctx.node, x, scale, zp));
  const DType target = y.dtype();
  if (is_float_target(target)) {
    const bool saturate = ctx.node.attr_int("saturate", 1) != 0;
    for (int64_t i = 0; i < x.numel(); ++i) {
      const auto k = static_cast<size_t>(quant_param_index(x.shape(), p.layout, i));
      const float v = static_cast<float>(x.element_as_double(i)) / p.scale[k] + static_cast<float>(p.zero_point[k]);
      static_cast<uint8_t*>(y.raw_data())[i] = encode_float_target(target, v, saturate);
    }
    return ok_status();
  }
  Result<QuantRange> range = quant_range(target, /*symmetric=*/false);
  if (!range.ok()) return ctx.node.error(StatusCode::kUnsupported, range.status().message());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const auto k = static_cast<size_t>(quant_param_index(x.shape(), p.layout, i));
    const QuantParams qp{p.scale[k], static_cast<int32_t>(p.zero_point[k])};
    store_integer(y, i, quantize_value(static_cast<float>(x.element_as_double(i)), qp, *range));
  }
  return ok_status();
}

void store_float(Tensor& y, int64_t i, float v) {
  switch (y.dtype()) {
    case DType::kF16: static_cast<uint16_t*>(y.raw_data())[i] = float_to_half(v); break;
    case DType::kBF16: static_cast<uint16_t*>(y.raw_data())[i] = float_to_bf16(v); break;
    default: static_cast<float*>(y.raw_data())[i] = v; break;
  }
}

Status run_dequantize_linear(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const Tensor& scale = *ctx.inputs[1];
  const Tensor* zp = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  Tensor& y = *ctx.outputs[0];
  if (y.dtype() != DType::kF32 && y.dtype() != DType::kF16 && y.dtype() != DType::kBF16) {
    return ctx.node.error(StatusCode::kUnsupported, std::string("output type ") + dtype_name(y.dtype()));
  }
  FS_ASSIGN_OR_RETURN(const QdqParams p, qdq_params(ctx.node, x, scale, zp));
  for (int64_t i = 0; i < x.numel(); ++i) {
    const auto k = static_cast<size_t>(quant_param_index(x.shape(), p.layout, i));
    const float v = (static_cast<float>(x.element_as_double(i)) - static_cast<float>(p.zero_point[k])) * p.scale[k];
    store_float(y, i, v);
  }
  return ok_status();
}

Status run_dynamic_quantize_linear(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const float* xd = x.data<float>();
  float lo = 0.f, hi = 0.f;  // the range always includes 0
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (std::isnan(xd[i])) continue;
    lo = std::min(lo, xd[i]);
    hi = std::max(hi, xd[i]);
  }
  const QuantRange r{0, 255};
  const float scale = (hi - lo) / 255.f;
  QuantParams p{scale == 0.f ? 1.f : scale, 0};
  if (scale != 0.f) {
    const float zp = std::nearbyint(std::clamp(0.f - lo / scale, 0.f, 255.f));
    p.zero_point = static_cast<int32_t>(zp);
  }
  uint8_t* yd = ctx.outputs[0]->data<uint8_t>();
  for (int64_t i = 0; i < x.numel(); ++i) yd[i] = static_cast<uint8_t>(quantize_value(xd[i], p, r));
  if (ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr) ctx.outputs[1]->data<float>()[0] = scale;
  if (ctx.outputs.size() > 2 && ctx.outputs[2] != nullptr) {
    ctx.outputs[2]->data<uint8_t>()[0] = static_cast<uint8_t>(p.zero_point);
  }
  return ok_status();
}

// x's types QuantizeLinear reads: float32 / float16 / bfloat16 (19+), int32 (10+).
bool quantize_input_ok(const NodeView& node) {
  const DType t = node.input_dtype(0);
  return t == DType::kF32 || t == DType::kF16 || t == DType::kBF16 || t == DType::kI32;
}

}  // namespace

void register_ref_quantize_kernels(KernelRegistry& r) {
  for (DType t : {DType::kF32, DType::kF16, DType::kBF16, DType::kI32}) {
    r.add({.name = t == DType::kF32 ? "quantize_linear_f32__ref" : t == DType::kF16 ? "quantize_linear_f16__ref"
                   : t == DType::kBF16 ? "quantize_linear_bf16__ref" : "quantize_linear_i32__ref",
           .op_type = "QuantizeLinear",
           .since_version = 10,
           .dtype = t,
           .accepts = quantize_input_ok,
           .run = run_quantize_linear});
  }
  r.add({.name = "dequantize_linear__ref",
         .op_type = "DequantizeLinear",
         .since_version = 10,
         .dtype = DType::kUndefined,  // any quantized input type
         .run = run_dequantize_linear});
  r.add({.name = "dynamic_quantize_linear_f32__ref",
         .op_type = "DynamicQuantizeLinear",
         .since_version = 11,
         .dtype = DType::kF32,
         .run = run_dynamic_quantize_linear});
}

}  // namespace fastserve
