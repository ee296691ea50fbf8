// The 'reduction' attribute of ScatterElements and ScatterND (opset 16+;
// max/min from 18): how an update combines with the element it lands on.
// 'none' copies bytes (any dtype); the others need arithmetic and are
// applied for f32, f64, i32, i64.
#pragma once

#include <algorithm>
#include <cstring>
#include <string>

#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

enum class ScatterReduction { kNone, kAdd, kMul, kMax, kMin };

inline Result<ScatterReduction> resolve_scatter_reduction(const NodeView& node) {
  const std::string r = node.attr_string("reduction", "none");
  if (r == "none") return ScatterReduction::kNone;
  if (r == "add" && node.opset() >= 16) return ScatterReduction::kAdd;
  if (r == "mul" && node.opset() >= 16) return ScatterReduction::kMul;
  if (r == "max" && node.opset() >= 18) return ScatterReduction::kMax;
  if (r == "min" && node.opset() >= 18) return ScatterReduction::kMin;
  return node.error(StatusCode::kInvalidArgument,
                    "attribute 'reduction' = '" + r + "' is not valid at opset " + std::to_string(node.opset()));
}

template <typename T>
void combine_typed(void* dst, const void* src, ScatterReduction r) {
  T d, s;
  std::memcpy(&d, dst, sizeof(T));
  std::memcpy(&s, src, sizeof(T));
  switch (r) {
    case ScatterReduction::kAdd: d = static_cast<T>(d + s); break;
    case ScatterReduction::kMul: d = static_cast<T>(d * s); break;
    case ScatterReduction::kMax: d = std::max(d, s); break;
    case ScatterReduction::kMin: d = std::min(d, s); break;
    case ScatterReduction::kNone: d = s; break;
  }
  std::memcpy(dst, &d, sizeof(T));
}

using CombineFn = void (*)(void* dst, const void* src, ScatterReduction r);

// The element combiner for `dtype` under `r`; error for a reduction on a
// dtype without arithmetic here.
inline Result<CombineFn> scatter_combiner(const NodeView& node, DType dtype, ScatterReduction r) {
  switch (dtype) {
    case DType::kF32: return CombineFn{combine_typed<float>};
    case DType::kF64: return CombineFn{combine_typed<double>};
    case DType::kI32: return CombineFn{combine_typed<int32_t>};
    case DType::kI64: return CombineFn{combine_typed<int64_t>};
    default:
      if (r == ScatterReduction::kNone) return CombineFn{nullptr};  // plain byte copy
      return node.error(StatusCode::kUnsupported,
                        std::string("reduction on dtype ") + dtype_name(dtype) + " is not supported");
  }
}

}  // namespace fastserve
