// Optimized f32 Softmax and LogSoftmax (opsets 11-28), one descriptor per op
// and ISA (scalar = auto-vectorized baseline, avx2, avx512).
//
// Layout: the input seen as [outer, axis_len, inner] (softmax_geometry in
// kernels/ref/elementwise_ref.h: opset 11-12 coerce to 2-D, so inner == 1;
// opset 13+ normalize one axis).
//   inner == 1 (last axis, or any opset 11-12 axis): each of the `outer`
//     contiguous rows is max-subtracted and normalized with the ISA's row
//     microkernels (softmax_ukernels.h); rows are threaded with
//     ctx.pool->parallel_for.
//   inner > 1 (opset 13+ axis before the last): columns are processed in
//     blocks of kColumns with per-column max/sum in stack arrays, portable
//     code for every ISA variant (the compiler vectorizes across columns);
//     (outer, column block) pairs are the parallel tasks.
// prepare() reads the axis attribute once; run() does not allocate.
#include <algorithm>
#include <cmath>
#include <memory>

#include "kernels/cpu/softmax/softmax_ukernels.h"
#include "kernels/cpu/vmath/vmath_scalar.h"
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kMinTaskElems = 8192;  // exp-heavy: smaller tasks than the cheap elementwise ops
constexpr int64_t kColumns = 64;         // column block of the strided path (stack arrays)

Status prepare_softmax(const NodeView& node, PrepareContext& ctx) {
  ctx.state = std::make_shared<SoftmaxAxis>(softmax_axis(node));
  return ok_status();
}

template <bool kLog>
void softmax_row(const SoftmaxUkernels& uk, const float* x, float* y, int64_t n) {
  const float m = uk.row_max(x, n);
  const float s = uk.exp_shift_sum(x, kLog ? nullptr : y, n, m);
  if (kLog) {
    uk.sub2(x, y, n, m, std::log(s));
  } else {
    uk.scale(y, n, 1.0f / s);
  }
}

// Softmax over axis_len strided elements for columns [c0, c0 + w) of one
// outer slice. x and y point at the slice's start.
template <bool kLog>
void softmax_columns(const float* x, float* y, int64_t axis_len, int64_t inner, int64_t c0, int64_t w) {
  float m[kColumns], s[kColumns];
  for (int64_t j = 0; j < w; ++j) {
    m[j] = -INFINITY;
    s[j] = 0.f;
  }
  for (int64_t a = 0; a < axis_len; ++a) {
    const float* row = x + a * inner + c0;
    for (int64_t j = 0; j < w; ++j) m[j] = row[j] > m[j] ? row[j] : m[j];
  }
  for (int64_t a = 0; a < axis_len; ++a) {
    const float* row = x + a * inner + c0;
    float* out = y + a * inner + c0;
    for (int64_t j = 0; j < w; ++j) {
      const float e = vmath::exp_flush_scalar(row[j] - m[j]);
      s[j] += e;
      if (!kLog) out[j] = e;
    }
  }
  if (kLog) {
    for (int64_t j = 0; j < w; ++j) s[j] = std::log(s[j]);
    for (int64_t a = 0; a < axis_len; ++a) {
      const float* row = x + a * inner + c0;
      float* out = y + a * inner + c0;
      for (int64_t j = 0; j < w; ++j) out[j] = (row[j] - m[j]) - s[j];
    }
  } else {
    for (int64_t j = 0; j < w; ++j) s[j] = 1.0f / s[j];
    for (int64_t a = 0; a < axis_len; ++a) {
      float* out = y + a * inner + c0;
      for (int64_t j = 0; j < w; ++j) out[j] *= s[j];
    }
  }
}

template <Isa kIsa>
const SoftmaxUkernels& ukernels() {
  if constexpr (kIsa == Isa::kAvx512) return kSoftmaxUkernelsAvx512;
  if constexpr (kIsa == Isa::kAvx2) return kSoftmaxUkernelsAvx2;
  return kSoftmaxUkernelsScalar;
}

template <bool kLog, Isa kIsa>
Status run_softmax(const KernelContext& ctx) {
  const Tensor& xt = *ctx.inputs[0];
  Result<SoftmaxGeometry> geometry = softmax_geometry(ctx.state_as<SoftmaxAxis>(), xt.shape());
  if (!geometry.ok()) return geometry.status().with_context(ctx.node.describe());
  const SoftmaxGeometry g = geometry.value();
  if (xt.numel() == 0) return ok_status();
  const float* x = xt.data<float>();
  float* y = ctx.outputs[0]->data<float>();
  const int64_t slice = g.axis_len * g.inner;

  if (g.inner == 1) {
    const SoftmaxUkernels& uk = ukernels<kIsa>();
    const int64_t grain = std::max<int64_t>(1, kMinTaskElems / g.axis_len);
    ctx.pool->parallel_for(g.outer, grain, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r)
        softmax_row<kLog>(uk, x + r * g.axis_len, y + r * g.axis_len, g.axis_len);
    });
    return ok_status();
  }
  const int64_t blocks = (g.inner + kColumns - 1) / kColumns;
  const int64_t grain = std::max<int64_t>(1, kMinTaskElems / (kColumns * g.axis_len));
  ctx.pool->parallel_for(g.outer * blocks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / blocks;
      const int64_t c0 = (t % blocks) * kColumns;
      softmax_columns<kLog>(x + o * slice, y + o * slice, g.axis_len, g.inner, c0,
                            std::min(kColumns, g.inner - c0));
    }
  });
  return ok_status();
}

template <bool kLog>
void add_variants(KernelRegistry& r, const char* op_type, const char* scalar, const char* avx2,
                  const char* avx512) {
  r.add({.name = scalar,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kScalar,
         .priority = 10,
         .prepare = prepare_softmax,
         .run = run_softmax<kLog, Isa::kScalar>});
  r.add({.name = avx2,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx2,
         .priority = 20,
         .prepare = prepare_softmax,
         .run = run_softmax<kLog, Isa::kAvx2>});
  r.add({.name = avx512,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx512,
         .priority = 30,
         .prepare = prepare_softmax,
         .run = run_softmax<kLog, Isa::kAvx512>});
}

}  // namespace

void register_cpu_softmax_kernels(KernelRegistry& r) {
  add_variants<false>(r, "Softmax", "softmax_f32__portable", "softmax_f32__avx2", "softmax_f32__avx512");
  add_variants<true>(r, "LogSoftmax", "log_softmax_f32__portable", "log_softmax_f32__avx2",
                     "log_softmax_f32__avx512");
}

}  // namespace fastserve
