// AVX-512 f32 binary microkernels (vv / vs / sv for Add, Sub, Mul, Div).
//
// ISA: AVX-512F (compiled with -mavx512f -mavx512bw -mavx512dq -mavx512vl
// -mfma). 16 lanes, two vectors per iteration; the tail is one masked
// load/op/store (masked-off lanes are neither read nor written). Only
// intrinsics and internal-linkage code here.
// GCC 12.1-12.2's headers fill the unused pass-through operand of many
// AVX-512 intrinsics (_mm512_max_ps, _mm512_cvtps_epi32, ...) with a
// self-initialized _mm512_undefined_ps(), which -O2 reports as
// -Wuninitialized at every call site (GCC bug 105593, fixed in 12.3).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#include <immintrin.h>

#include "kernels/cpu/binary/binary_ukernels.h"

namespace fastserve {
namespace {

template <BinaryOp kOp>
inline __m512 apply(__m512 a, __m512 b) {
  if constexpr (kOp == BinaryOp::kAdd) return _mm512_add_ps(a, b);
  if constexpr (kOp == BinaryOp::kSub) return _mm512_sub_ps(a, b);
  if constexpr (kOp == BinaryOp::kMul) return _mm512_mul_ps(a, b);
  return _mm512_div_ps(a, b);
}

template <BinaryOp kOp, bool kAScalar, bool kBScalar>
void run(const float* a, const float* b, float* y, int64_t n) {
  const __m512 sa = kAScalar ? _mm512_set1_ps(a[0]) : _mm512_setzero_ps();
  const __m512 sb = kBScalar ? _mm512_set1_ps(b[0]) : _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    const __m512 a0 = kAScalar ? sa : _mm512_loadu_ps(a + i);
    const __m512 a1 = kAScalar ? sa : _mm512_loadu_ps(a + i + 16);
    const __m512 b0 = kBScalar ? sb : _mm512_loadu_ps(b + i);
    const __m512 b1 = kBScalar ? sb : _mm512_loadu_ps(b + i + 16);
    _mm512_storeu_ps(y + i, apply<kOp>(a0, b0));
    _mm512_storeu_ps(y + i + 16, apply<kOp>(a1, b1));
  }
  for (; i < n; i += 16) {
    const int64_t left = n - i;
    const __mmask16 m =
        left >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << left) - 1u);
    // Masked-off lanes load as 0; Div then computes 0/0 there, which is never stored.
    const __m512 a0 = kAScalar ? sa : _mm512_maskz_loadu_ps(m, a + i);
    const __m512 b0 = kBScalar ? sb : _mm512_maskz_loadu_ps(m, b + i);
    _mm512_mask_storeu_ps(y + i, m, apply<kOp>(a0, b0));
  }
}

template <BinaryOp kOp>
constexpr BinaryUkernels table() {
  return {run<kOp, false, false>, run<kOp, false, true>, run<kOp, true, false>};
}

}  // namespace

constinit const BinaryUkernels kBinaryUkernelsAvx512[kNumBinaryOps] = {
    table<BinaryOp::kAdd>(), table<BinaryOp::kSub>(), table<BinaryOp::kMul>(), table<BinaryOp::kDiv>()};

}  // namespace fastserve
