// AVX2 f32 binary microkernels (vv / vs / sv for Add, Sub, Mul, Div).
//
// ISA: AVX2 (compiled with -mavx2 -mfma -mf16c). 8 lanes, two vectors per
// iteration for load/store overlap; the tail uses AVX2 masked loads/stores
// (masked-off lanes are neither read nor written, so no overrun). Only
// intrinsics and internal-linkage code here: nothing that another TU could
// pick up through an inline function compiled for this ISA.
#include <immintrin.h>

#include "kernels/cpu/binary/binary_ukernels.h"

namespace fastserve {
namespace {

template <BinaryOp kOp>
inline __m256 apply(__m256 a, __m256 b) {
  if constexpr (kOp == BinaryOp::kAdd) return _mm256_add_ps(a, b);
  if constexpr (kOp == BinaryOp::kSub) return _mm256_sub_ps(a, b);
  if constexpr (kOp == BinaryOp::kMul) return _mm256_mul_ps(a, b);
  return _mm256_div_ps(a, b);
}

// Lane mask with the first n (< 8) lanes on.
inline __m256i tail_mask(int64_t n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)), lanes);
}

// Loads for the three forms: the vector operand reads 8 lanes, the scalar
// operand is broadcast once outside the loop.
template <BinaryOp kOp, bool kAScalar, bool kBScalar>
void run(const float* a, const float* b, float* y, int64_t n) {
  const __m256 sa = kAScalar ? _mm256_set1_ps(a[0]) : _mm256_setzero_ps();
  const __m256 sb = kBScalar ? _mm256_set1_ps(b[0]) : _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m256 a0 = kAScalar ? sa : _mm256_loadu_ps(a + i);
    const __m256 a1 = kAScalar ? sa : _mm256_loadu_ps(a + i + 8);
    const __m256 b0 = kBScalar ? sb : _mm256_loadu_ps(b + i);
    const __m256 b1 = kBScalar ? sb : _mm256_loadu_ps(b + i + 8);
    _mm256_storeu_ps(y + i, apply<kOp>(a0, b0));
    _mm256_storeu_ps(y + i + 8, apply<kOp>(a1, b1));
  }
  for (; i + 8 <= n; i += 8) {
    const __m256 a0 = kAScalar ? sa : _mm256_loadu_ps(a + i);
    const __m256 b0 = kBScalar ? sb : _mm256_loadu_ps(b + i);
    _mm256_storeu_ps(y + i, apply<kOp>(a0, b0));
  }
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    // Masked-off lanes load as 0; Div then computes 0/0 there, which is never stored.
    const __m256 a0 = kAScalar ? sa : _mm256_maskload_ps(a + i, m);
    const __m256 b0 = kBScalar ? sb : _mm256_maskload_ps(b + i, m);
    _mm256_maskstore_ps(y + i, m, apply<kOp>(a0, b0));
  }
}

template <BinaryOp kOp>
constexpr BinaryUkernels table() {
  return {run<kOp, false, false>, run<kOp, false, true>, run<kOp, true, false>};
}

}  // namespace

constinit const BinaryUkernels kBinaryUkernelsAvx2[kNumBinaryOps] = {
    table<BinaryOp::kAdd>(), table<BinaryOp::kSub>(), table<BinaryOp::kMul>(), table<BinaryOp::kDiv>()};

}  // namespace fastserve
