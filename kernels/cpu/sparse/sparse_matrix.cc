// CSR construction and the sparsity measurements (see sparse_matrix.h).
#include "kernels/cpu/sparse/sparse_matrix.h"

#include <cmath>

namespace fastserve {

SparseMatrix sparse_from_dense(const float* a, int64_t rows, int64_t cols, int64_t row_stride, int64_t col_stride,
                               float scale) {
  SparseMatrix s;
  s.rows = rows;
  s.cols = cols;
  s.row_ptr.reserve(static_cast<size_t>(rows) + 1);
  s.row_ptr.push_back(0);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      const float v = a[r * row_stride + c * col_stride];
      if (v == 0.f) continue;
      s.col.push_back(static_cast<int32_t>(c));
      s.val.push_back(scale * v);
    }
    s.row_ptr.push_back(static_cast<int32_t>(s.val.size()));
  }
  return s;
}

bool zero_fraction_at_least(const Tensor& t, double min_fraction) {
  if (!t.defined() || t.dtype() != DType::kF32 || t.numel() == 0) return false;
  const int64_t n = t.numel();
  const int64_t need = static_cast<int64_t>(std::ceil(min_fraction * static_cast<double>(n)));
  const int64_t allowed_nonzeros = n - need;
  const float* d = t.data<float>();
  int64_t zeros = 0, nonzeros = 0;
  for (int64_t i = 0; i < n; ++i) {
    if (d[i] == 0.f) {
      if (++zeros >= need) return true;
    } else if (++nonzeros > allowed_nonzeros) {
      return false;
    }
  }
  return zeros >= need;
}

double zero_fraction(const Tensor& t) {
  if (!t.defined() || t.dtype() != DType::kF32 || t.numel() == 0) return 0.0;
  const float* d = t.data<float>();
  int64_t zeros = 0;
  for (int64_t i = 0; i < t.numel(); ++i) zeros += d[i] == 0.f ? 1 : 0;
  return static_cast<double>(zeros) / static_cast<double>(t.numel());
}

}  // namespace fastserve
