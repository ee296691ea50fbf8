// Numpy multidirectional broadcasting for the reference kernels (binary
// arithmetic, comparisons, logic, Where, Mod, BitShift, Sum/Mean/Max/Min,
// PRelu).
//
// Index walking: the output index advances like an odometer and is dotted
// with each input's broadcast strides (0 on broadcast dims). Plain loops,
// single thread: this is the oracle, never tuned. The shapes must already
// broadcast to `out` (shape inference checked them).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "graph/shape_utils.h"

namespace fastserve {

// Calls fn(out_index, offsets) for every output element, where offsets[k] is
// the element offset in input k. N is the number of inputs.
template <size_t N, typename Fn>
void for_each_broadcast_n(const Shape& out, const std::array<const Shape*, N>& ins, Fn&& fn) {
  const size_t rank = out.rank();
  std::array<std::vector<int64_t>, N> strides;
  for (size_t k = 0; k < N; ++k) {
    strides[k] = broadcast_strides(*ins[k], out);
    FS_CHECK(strides[k].size() == rank);
  }
  std::vector<int64_t> idx(rank, 0);
  std::array<int64_t, N> offsets{};
  const int64_t n = out.numel();
  for (int64_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < N; ++k) {
      int64_t o = 0;
      for (size_t d = 0; d < rank; ++d) o += idx[d] * strides[k][d];
      offsets[k] = o;
    }
    fn(i, offsets);
    for (size_t d = rank; d-- > 0;) {
      if (++idx[d] < out[d]) break;
      idx[d] = 0;
    }
  }
}

// Two inputs: fn(out_index, a_offset, b_offset).
template <typename Fn>
void for_each_broadcast(const Shape& out, const Shape& a, const Shape& b, Fn&& fn) {
  for_each_broadcast_n<2>(out, {&a, &b},
                          [&](int64_t i, const std::array<int64_t, 2>& o) { fn(i, o[0], o[1]); });
}

}  // namespace fastserve
