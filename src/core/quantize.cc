// Linear quantization arithmetic (see quantize.h).
#include "core/quantize.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

namespace fastserve {
namespace {

int64_t normalized_axis(const Shape& shape, int64_t axis) {
  const auto rank = static_cast<int64_t>(shape.rank());
  return axis < 0 ? axis + rank : axis;
}

// Writes q (already in range) as element i of a tensor of qtype.
void store_quantized(Tensor& t, int64_t i, int32_t q) {
  switch (t.dtype()) {
    case DType::kI8:
    case DType::kI4:
    case DType::kI2:
      static_cast<int8_t*>(t.raw_data())[i] = static_cast<int8_t>(q);
      break;
    case DType::kU8:
    case DType::kU4:
    case DType::kU2:
      static_cast<uint8_t*>(t.raw_data())[i] = static_cast<uint8_t>(q);
      break;
    case DType::kI16:
      static_cast<int16_t*>(t.raw_data())[i] = static_cast<int16_t>(q);
      break;
    case DType::kU16:
      static_cast<uint16_t*>(t.raw_data())[i] = static_cast<uint16_t>(q);
      break;
    default:
      break;
  }
}

Result<int32_t> load_quantized(const Tensor& t, int64_t i) {
  switch (t.dtype()) {
    case DType::kI8:
    case DType::kI4:
    case DType::kI2:
      return static_cast<int32_t>(static_cast<const int8_t*>(t.raw_data())[i]);
    case DType::kU8:
    case DType::kU4:
    case DType::kU2:
      return static_cast<int32_t>(static_cast<const uint8_t*>(t.raw_data())[i]);
    case DType::kI16:
      return static_cast<int32_t>(static_cast<const int16_t*>(t.raw_data())[i]);
    case DType::kU16:
      return static_cast<int32_t>(static_cast<const uint16_t*>(t.raw_data())[i]);
    case DType::kI32:
      return static_cast<const int32_t*>(t.raw_data())[i];
    default:
      return invalid_argument(std::string("dequantize: ") + dtype_name(t.dtype()) + " is not an integer type");
  }
}

}  // namespace

Result<QuantRange> quant_range(DType qtype, bool symmetric) {
  int bits = 0;
  bool is_signed = false;
  switch (qtype) {
    case DType::kI8: bits = 8; is_signed = true; break;
    case DType::kU8: bits = 8; break;
    case DType::kI4: bits = 4; is_signed = true; break;
    case DType::kU4: bits = 4; break;
    case DType::kI16: bits = 16; is_signed = true; break;
    case DType::kU16: bits = 16; break;
    case DType::kI2: bits = 2; is_signed = true; break;
    case DType::kU2: bits = 2; break;
    default:
      return invalid_argument(std::string("quantization to ") + dtype_name(qtype) +
                              " is not supported (int8, uint8, int16, uint16, int4, uint4, int2, uint2)");
  }
  if (!is_signed) return QuantRange{0, (1 << bits) - 1};
  const int32_t hi = (1 << (bits - 1)) - 1;
  return QuantRange{symmetric ? -hi : -hi - 1, hi};
}

Result<QuantParams> choose_quant_params(float rmin, float rmax, DType qtype, bool symmetric) {
  if (!std::isfinite(rmin) || !std::isfinite(rmax) || rmin > rmax) {
    return invalid_argument("quantization range [" + std::to_string(rmin) + ", " + std::to_string(rmax) +
                            "] is not a finite interval");
  }
  FS_ASSIGN_OR_RETURN(const QuantRange r, quant_range(qtype, symmetric));
  QuantParams p;
  if (symmetric) {
    const float absmax = std::max(std::abs(rmin), std::abs(rmax));
    if (r.qmin < 0) {
      p.zero_point = 0;
      p.scale = absmax > 0 ? absmax / static_cast<float>(r.qmax) : 1.f;
    } else {
      // Unsigned symmetric: zero in the middle, half the range each side.
      p.zero_point = (r.qmax + 1) / 2;
      p.scale = absmax > 0 ? absmax / static_cast<float>(r.qmax - p.zero_point) : 1.f;
    }
    return p;
  }
  const float lo = std::min(rmin, 0.f), hi = std::max(rmax, 0.f);
  if (hi == lo) return QuantParams{1.f, std::clamp<int32_t>(0, r.qmin, r.qmax)};
  p.scale = (hi - lo) / static_cast<float>(r.qmax - r.qmin);
  const double zp = std::nearbyint(static_cast<double>(r.qmin) - static_cast<double>(lo) / p.scale);
  p.zero_point = static_cast<int32_t>(std::clamp<double>(zp, r.qmin, r.qmax));
  return p;
}

int32_t quantize_value(float x, const QuantParams& p, const QuantRange& r) {
  // x / scale in float, as ONNX's definition (and ORT) compute it, so that
  // the halfway cases agree; nearbyint rounds half to even in the default
  // rounding mode; the zero point is added after rounding.
  const float v = x / p.scale;
  if (std::isnan(v)) return std::clamp(p.zero_point, r.qmin, r.qmax);
  const double q = static_cast<double>(std::nearbyint(v)) + p.zero_point;
  return static_cast<int32_t>(std::clamp<double>(q, r.qmin, r.qmax));
}

Result<int64_t> quant_param_count(const Shape& shape, const QuantLayout& layout) {
  if (layout.axis == kPerTensorAxis) return 1;
  const int64_t axis = normalized_axis(shape, layout.axis);
  if (axis < 0 || axis >= static_cast<int64_t>(shape.rank())) {
    return invalid_argument("quantization axis " + std::to_string(layout.axis) + " is out of range for shape " +
                            shape.to_string());
  }
  if (layout.block < 0) return invalid_argument("quantization block size " + std::to_string(layout.block) + " < 0");
  const int64_t d = shape[static_cast<size_t>(axis)];
  if (layout.block == 0) return d;
  const int64_t blocks = (d + layout.block - 1) / layout.block;
  return shape.numel() / std::max<int64_t>(d, 1) * blocks;
}

int64_t quant_param_index(const Shape& shape, const QuantLayout& layout, int64_t flat) {
  if (layout.axis == kPerTensorAxis) return 0;
  const auto axis = static_cast<size_t>(normalized_axis(shape, layout.axis));
  int64_t inner = 1;
  for (size_t i = axis + 1; i < shape.rank(); ++i) inner *= shape[i];
  const int64_t d = shape[axis];
  const int64_t idx = flat / inner % d;
  if (layout.block == 0) return idx;
  // Params are laid out like x with dim `axis` shrunk to the block count.
  const int64_t blocks = (d + layout.block - 1) / layout.block;
  const int64_t outer = flat / (inner * d);
  return (outer * blocks + idx / layout.block) * inner + flat % inner;
}

Result<std::vector<QuantParams>> choose_quant_params_for(const Tensor& x, const QuantLayout& layout, DType qtype,
                                                         bool symmetric) {
  if (x.dtype() != DType::kF32) {
    return invalid_argument(std::string("quantize: input is ") + dtype_name(x.dtype()) + ", want float32");
  }
  FS_ASSIGN_OR_RETURN(const int64_t count, quant_param_count(x.shape(), layout));
  std::vector<float> lo(static_cast<size_t>(count), std::numeric_limits<float>::infinity());
  std::vector<float> hi(static_cast<size_t>(count), -std::numeric_limits<float>::infinity());
  const float* xd = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    const auto k = static_cast<size_t>(quant_param_index(x.shape(), layout, i));
    if (!std::isfinite(xd[i])) continue;
    lo[k] = std::min(lo[k], xd[i]);
    hi[k] = std::max(hi[k], xd[i]);
  }
  std::vector<QuantParams> out(static_cast<size_t>(count));
  for (size_t k = 0; k < out.size(); ++k) {
    const bool empty = lo[k] > hi[k];
    FS_ASSIGN_OR_RETURN(out[k], choose_quant_params(empty ? 0.f : lo[k], empty ? 0.f : hi[k], qtype, symmetric));
  }
  return out;
}

Result<Tensor> quantize_tensor(const Tensor& x, const QuantLayout& layout, std::span<const QuantParams> params,
                               DType qtype) {
  if (x.dtype() != DType::kF32) {
    return invalid_argument(std::string("quantize: input is ") + dtype_name(x.dtype()) + ", want float32");
  }
  FS_ASSIGN_OR_RETURN(const QuantRange r, quant_range(qtype, /*symmetric=*/false));
  FS_ASSIGN_OR_RETURN(const int64_t count, quant_param_count(x.shape(), layout));
  if (static_cast<int64_t>(params.size()) != count) {
    return invalid_argument("quantize: " + std::to_string(params.size()) + " scales for " + std::to_string(count) +
                            " groups of " + x.shape().to_string());
  }
  Tensor q = Tensor::empty(qtype, x.shape());
  const float* xd = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    store_quantized(q, i, quantize_value(xd[i], params[static_cast<size_t>(quant_param_index(x.shape(), layout, i))], r));
  }
  return q;
}

Result<Tensor> dequantize_tensor(const Tensor& q, const QuantLayout& layout, std::span<const QuantParams> params) {
  FS_ASSIGN_OR_RETURN(const int64_t count, quant_param_count(q.shape(), layout));
  if (static_cast<int64_t>(params.size()) != count) {
    return invalid_argument("dequantize: " + std::to_string(params.size()) + " scales for " + std::to_string(count) +
                            " groups of " + q.shape().to_string());
  }
  Tensor x = Tensor::empty(DType::kF32, q.shape());
  float* xd = x.data<float>();
  for (int64_t i = 0; i < q.numel(); ++i) {
    FS_ASSIGN_OR_RETURN(const int32_t v, load_quantized(q, i));
    xd[i] = dequantize_value(v, params[static_cast<size_t>(quant_param_index(q.shape(), layout, i))]);
  }
  return x;
}

}  // namespace fastserve
