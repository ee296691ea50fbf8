// Broadcasting and stride helpers (numpy broadcasting rules, as ONNX's
// "Broadcasting in ONNX" document specifies for multidirectional broadcast).
#include "graph/shape_utils.h"

#include <algorithm>
#include <string>

namespace fastserve {

Result<Shape> broadcast_shapes(const Shape& a, const Shape& b) {
  const size_t rank = std::max(a.rank(), b.rank());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    // Align from the right; missing leading dims act as 1.
    const int64_t x = i + a.rank() >= rank ? a[i + a.rank() - rank] : 1;
    const int64_t y = i + b.rank() >= rank ? b[i + b.rank() - rank] : 1;
    int64_t d;
    if (x >= 0 && y >= 0) {
      if (x == y || y == 1) {
        d = x;
      } else if (x == 1) {
        d = y;
      } else {
        return invalid_argument("dims " + std::to_string(x) + " and " + std::to_string(y) + " at axis " +
                                std::to_string(i) + " of the result are not broadcastable");
      }
    } else if (x < 0 && y < 0) {
      d = kUnknownDim;
    } else {
      // One dim unknown (call it u), the other known k: u is 1 or k, so the
      // result is k unless k == 1 (then it is u, unknown). k == 0 forces 0.
      const int64_t k = x >= 0 ? x : y;
      d = k == 1 ? kUnknownDim : k;
    }
    out[i] = d;
  }
  return Shape(std::move(out));
}

std::vector<int64_t> contiguous_strides(const Shape& s) {
  std::vector<int64_t> strides(s.rank());
  int64_t stride = 1;
  for (size_t i = s.rank(); i-- > 0;) {
    strides[i] = stride;
    stride *= s[i];
  }
  return strides;
}

std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  FS_CHECK_MSG(in.rank() <= out.rank(), "broadcast_strides: input rank exceeds output rank");
  const size_t offset = out.rank() - in.rank();
  const std::vector<int64_t> own = contiguous_strides(in);
  std::vector<int64_t> strides(out.rank(), 0);
  for (size_t i = 0; i < in.rank(); ++i) {
    FS_CHECK_MSG(in[i] == out[i + offset] || in[i] == 1, "broadcast_strides: shapes do not broadcast");
    // A size-1 dim repeats its single element: stride 0.
    strides[i + offset] = in[i] == 1 ? 0 : own[i];
  }
  return strides;
}

void propagate_same(const NodeView& node, std::vector<TensorInfo>& outputs, size_t out_i, size_t in_j) {
  FS_CHECK(out_i < outputs.size());
  TensorInfo& out = outputs[out_i];
  out.value = nullptr;  // a value is never forwarded: shape inference does not fold
  if (!node.has_input(in_j)) {
    out.dtype = DType::kUndefined;
    out.shape_known = false;
    out.shape = Shape();
    return;
  }
  const TensorInfo& in = node.input(in_j);
  out.dtype = in.dtype;
  out.shape_known = in.shape_known;
  out.shape = in.shape_known ? in.shape : Shape();
}

}  // namespace fastserve
