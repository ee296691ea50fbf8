// 2:4 detection, compression and expansion (see nm24_matrix.h).
#include "kernels/cpu/sparse/nm24_matrix.h"

#include <algorithm>
#include <string>

namespace fastserve {
namespace {

// n and k extents and strides of W^T in a 2-D tensor.
struct Strides {
  int64_t n, k, n_stride, k_stride;
};

Strides strides_of(const Tensor& w, WeightLayout layout) {
  if (layout == WeightLayout::kNK) return {w.dim(0), w.dim(1), w.dim(1), 1};
  return {w.dim(1), w.dim(0), 1, w.dim(1)};
}

}  // namespace

bool is_2_4_sparse(const Tensor& w, WeightLayout layout) {
  if (!w.defined() || w.dtype() != DType::kF32 || w.rank() != 2 || w.numel() == 0) return false;
  const Strides s = strides_of(w, layout);
  const float* d = w.data<float>();
  // Groups run along k; walking n innermost for kKN keeps the reads
  // contiguous (B's rows), so the counts are kept per n for 4 rows of k.
  if (layout == WeightLayout::kKN) {
    std::vector<uint8_t> nonzeros(static_cast<size_t>(s.n));
    for (int64_t k0 = 0; k0 < s.k; k0 += 4) {
      std::fill(nonzeros.begin(), nonzeros.end(), 0);
      for (int64_t k = k0; k < std::min(k0 + 4, s.k); ++k) {
        const float* row = d + k * s.k_stride;
        for (int64_t n = 0; n < s.n; ++n) nonzeros[static_cast<size_t>(n)] += row[n] != 0.f ? 1 : 0;
      }
      for (uint8_t c : nonzeros) {
        if (c > 2) return false;
      }
    }
    return true;
  }
  for (int64_t n = 0; n < s.n; ++n) {
    const float* row = d + n * s.n_stride;
    for (int64_t k0 = 0; k0 < s.k; k0 += 4) {
      int c = 0;
      for (int64_t k = k0; k < std::min(k0 + 4, s.k); ++k) c += row[k] != 0.f ? 1 : 0;
      if (c > 2) return false;
    }
  }
  return true;
}

Result<Nm24Matrix> nm24_from_dense(const float* w, int64_t n, int64_t k, int64_t n_stride, int64_t k_stride,
                                   float scale) {
  Nm24Matrix m;
  m.n = n;
  m.k = k;
  m.groups = (k + 3) / 4;
  m.blocks = (n + kNm24Block - 1) / kNm24Block;
  m.val.assign(static_cast<size_t>(m.blocks * m.groups * 2 * kNm24Block), 0.f);
  m.pos.assign(static_cast<size_t>(m.blocks * m.groups * kNm24Block), 0);
  for (int64_t f = 0; f < n; ++f) {
    const int64_t b = f / kNm24Block, j = f % kNm24Block;
    for (int64_t g = 0; g < m.groups; ++g) {
      int kept = 0;
      int at[2] = {0, 0};
      float v[2] = {0.f, 0.f};
      for (int t = 0; t < 4 && g * 4 + t < k; ++t) {
        const float x = w[f * n_stride + (g * 4 + t) * k_stride];
        if (x == 0.f) continue;
        if (kept == 2) {
          return invalid_argument("not 2:4 sparse: output feature " + std::to_string(f) +
                                  " has more than 2 nonzeros in k " + std::to_string(g * 4) + ".." +
                                  std::to_string(std::min(g * 4 + 3, k - 1)));
        }
        at[kept] = t;
        v[kept] = scale * x;
        ++kept;
      }
      // An empty slot keeps position 0 (or slot 0's), which always exists: its value is 0.
      if (kept == 1) at[1] = at[0];
      const size_t base = static_cast<size_t>(b * m.groups + g);
      m.val[(base * 2 + 0) * kNm24Block + static_cast<size_t>(j)] = v[0];
      m.val[(base * 2 + 1) * kNm24Block + static_cast<size_t>(j)] = v[1];
      m.pos[base * kNm24Block + static_cast<size_t>(j)] = static_cast<uint8_t>(at[0] | (at[1] << 2));
    }
  }
  return m;
}

std::vector<float> nm24_to_dense(const Nm24Matrix& m) {
  std::vector<float> out(static_cast<size_t>(m.n * m.k), 0.f);
  for (int64_t f = 0; f < m.n; ++f) {
    const int64_t b = f / kNm24Block, j = f % kNm24Block;
    for (int64_t g = 0; g < m.groups; ++g) {
      const size_t base = static_cast<size_t>(b * m.groups + g);
      const uint8_t p = m.pos[base * kNm24Block + static_cast<size_t>(j)];
      for (int s = 0; s < 2; ++s) {
        const float v = m.val[(base * 2 + static_cast<size_t>(s)) * kNm24Block + static_cast<size_t>(j)];
        const int64_t kk = g * 4 + ((p >> (2 * s)) & 3);
        if (v != 0.f) out[static_cast<size_t>(f * m.k + kk)] += v;
      }
    }
  }
  return out;
}

}  // namespace fastserve
