// Portable f32 binary microkernels (vv / vs / sv for Add, Sub, Mul, Div).
//
// ISA: baseline (SSE2 on x86-64). Plain C++ written for the auto-vectorizer:
// the main loop works in blocks of 16 with a fixed-count inner loop, which
// GCC vectorizes even under -O2's "very cheap" cost model; a scalar loop
// handles the tail.
#include "kernels/cpu/binary/binary_ukernels.h"

namespace fastserve {
namespace {

constexpr int64_t kBlock = 16;

template <BinaryOp kOp>
inline float apply(float a, float b) {
  if constexpr (kOp == BinaryOp::kAdd) return a + b;
  if constexpr (kOp == BinaryOp::kSub) return a - b;
  if constexpr (kOp == BinaryOp::kMul) return a * b;
  return a / b;
}

template <BinaryOp kOp>
void vv(const float* a, const float* b, float* y, int64_t n) {
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = apply<kOp>(a[i + j], b[i + j]);
  }
  for (; i < n; ++i) y[i] = apply<kOp>(a[i], b[i]);
}

template <BinaryOp kOp>
void vs(const float* a, const float* b, float* y, int64_t n) {
  const float s = b[0];
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = apply<kOp>(a[i + j], s);
  }
  for (; i < n; ++i) y[i] = apply<kOp>(a[i], s);
}

template <BinaryOp kOp>
void sv(const float* a, const float* b, float* y, int64_t n) {
  const float s = a[0];
  int64_t i = 0;
  for (; i + kBlock <= n; i += kBlock) {
    for (int64_t j = 0; j < kBlock; ++j) y[i + j] = apply<kOp>(s, b[i + j]);
  }
  for (; i < n; ++i) y[i] = apply<kOp>(s, b[i]);
}

template <BinaryOp kOp>
constexpr BinaryUkernels table() {
  return {vv<kOp>, vs<kOp>, sv<kOp>};
}

}  // namespace

constinit const BinaryUkernels kBinaryUkernelsScalar[kNumBinaryOps] = {
    table<BinaryOp::kAdd>(), table<BinaryOp::kSub>(), table<BinaryOp::kMul>(), table<BinaryOp::kDiv>()};

}  // namespace fastserve
