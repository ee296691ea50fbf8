// StridedWalk: steps a row-major multi-index over up to kMaxWalkRank dims and
// keeps two element offsets (source and destination) in sync with it, so the
// data-movement kernels (transpose, slice) advance by additions instead of a
// division per element. Fixed-size arrays: run() allocates nothing.
#pragma once

#include <cstdint>

namespace fastserve {

inline constexpr int kMaxWalkRank = 8;

struct StridedWalk {
  int rank = 0;
  int64_t dims[kMaxWalkRank] = {};
  int64_t src_strides[kMaxWalkRank] = {};
  int64_t dst_strides[kMaxWalkRank] = {};
  int64_t idx[kMaxWalkRank] = {};
  int64_t src = 0;  // offsets relative to the walk's base
  int64_t dst = 0;

  // Positions the walk at row-major position `linear` (one division per dim).
  void seek(int64_t linear) {
    src = dst = 0;
    for (int k = rank - 1; k >= 0; --k) {
      idx[k] = linear % dims[k];
      linear /= dims[k];
      src += idx[k] * src_strides[k];
      dst += idx[k] * dst_strides[k];
    }
  }

  // Moves to the next position (wrapping to all zeros after the last).
  void next() {
    for (int k = rank - 1; k >= 0; --k) {
      ++idx[k];
      src += src_strides[k];
      dst += dst_strides[k];
      if (idx[k] < dims[k]) return;
      src -= idx[k] * src_strides[k];
      dst -= idx[k] * dst_strides[k];
      idx[k] = 0;
    }
  }
};

}  // namespace fastserve
