// Linear quantization arithmetic: q = saturate(round_half_even(x / scale) + zero_point),
// x' = (q - zero_point) * scale, as ONNX QuantizeLinear / DequantizeLinear
// define it, and the choice of (scale, zero_point) from a real range.
//
// Integer targets: int8, uint8, int4, uint4 (and int16/uint16, int2/uint2,
// which ONNX QuantizeLinear also defines). Symmetric quantization of a signed type uses the
// restricted range [-(2^(b-1) - 1), 2^(b-1) - 1] (int8: [-127, 127]) so
// that the scale maps +max and -max alike and zero_point is 0, as ONNX
// Runtime's quantizer and TensorRT do for weights; asymmetric quantization
// uses the full range and stretches [min(rmin, 0), max(rmax, 0)] over it so
// that 0.0 is exactly representable (padding and ReLU zeros stay exact).
//
// Granularities: per tensor, per channel (one scale per index of an axis)
// and per block (one scale per `block` consecutive elements along an axis,
// the last block of a row possibly shorter), the layouts of opset-13 and
// opset-21 QuantizeLinear / DequantizeLinear.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct QuantRange {
  int32_t qmin = 0, qmax = 0;
};

// The representable range of an integer quantized type (full range), or
// the restricted symmetric one. kInvalidArgument for other dtypes.
Result<QuantRange> quant_range(DType qtype, bool symmetric);

struct QuantParams {
  float scale = 1.f;
  int32_t zero_point = 0;
};

// (scale, zero_point) for values in [rmin, rmax] (rmin <= rmax, finite).
// Symmetric: scale = max(|rmin|, |rmax|) / qmax, zero_point = 0 (uint8
// symmetric: zero_point = 128, the middle). Asymmetric: the range widened to
// include 0, scale = (rmax - rmin) / (qmax - qmin), zero_point =
// round(qmin - rmin / scale) clamped. An all-zero range gets scale 1.
Result<QuantParams> choose_quant_params(float rmin, float rmax, DType qtype, bool symmetric);

// Round half to even, then clamp to [r.qmin, r.qmax]. NaN -> zero_point's
// clamp (ONNX leaves it undefined; 0 before the offset is the usual choice).
int32_t quantize_value(float x, const QuantParams& p, const QuantRange& r);
inline float dequantize_value(int32_t q, const QuantParams& p) {
  return static_cast<float>(q - p.zero_point) * p.scale;
}

// How one tensor is quantized: `params` has 1 entry (per tensor), dim(axis)
// entries (per channel, block == 0) or dim(axis) / block rounded up entries
// per index of the other dims (per block, along `axis`).
inline constexpr int64_t kPerTensorAxis = INT64_MIN;
struct QuantLayout {
  int64_t axis = kPerTensorAxis;  // kPerTensorAxis = one params entry; negative axes count from the end
  int64_t block = 0;              // 0 = not blocked
};

// Index into `params` of element `flat` of a tensor of `shape` under `layout`
// (shape and layout already checked).
int64_t quant_param_index(const Shape& shape, const QuantLayout& layout, int64_t flat);

// The number of params entries `layout` needs for `shape`, or an error
// naming what does not fit (axis out of range, block < 0).
Result<int64_t> quant_param_count(const Shape& shape, const QuantLayout& layout);

// Per-layout (scale, zero_point) from the min / max of each group of x's
// elements (float32).
Result<std::vector<QuantParams>> choose_quant_params_for(const Tensor& x, const QuantLayout& layout, DType qtype,
                                                         bool symmetric);

// x (float32) -> a tensor of qtype (int8 / uint8 / int4 / uint4 / int16 /
// uint16, int4 stored one per byte) under layout and params.
Result<Tensor> quantize_tensor(const Tensor& x, const QuantLayout& layout, std::span<const QuantParams> params,
                               DType qtype);
// q (an integer tensor) -> float32.
Result<Tensor> dequantize_tensor(const Tensor& q, const QuantLayout& layout, std::span<const QuantParams> params);

}  // namespace fastserve
