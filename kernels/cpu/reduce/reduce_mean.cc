// Optimized f32 ReduceMean over one contiguous range of axes (opsets 11-28).
//
// Layout: with the reduced axes forming one range [first, last], the input is
// [O, R, I] (O = dims before, R = reduced, I = dims after) and
//   y[o, i] = sum_r x[o, r, i] / R.
//   I == 1 (trailing axes: global pooling, LayerNorm-style means): each
//     output is the mean of a contiguous run, summed with 16 independent
//     partial sums so the loop vectorizes (baseline ISA, auto-vectorized).
//     Few long rows (O <= 8, e.g. a global mean) are split into up to 64
//     parts whose partial sums are added in a fixed order, so the result
//     does not depend on the thread count.
//   I > 1: rows of I are accumulated into the output in column blocks.
// Other axis sets (e.g. axes 0 and 2 of a 3-D tensor), axes only known at
// run time, and unknown ranks fall back to the reference kernel (accepts()).
// An empty reduction (R == 0) gives NaN, as the reference does.
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int64_t kMinTaskElems = 16384;
constexpr int64_t kPartElems = 16384;   // split long rows into parts of about this size
constexpr int64_t kMaxParts = 64;       // stack array of partial sums
constexpr int64_t kColumnBlock = 1024;  // output block kept in L1 while rows stream in
constexpr int64_t kLanes = 16;

// The reduced axis range; first > last means nothing is reduced (noop).
struct ReducePlan {
  int64_t first = 0;
  int64_t last = -1;
};

// The reduced range for this view, or false when the axes are not one
// contiguous range (or not known yet).
bool reduced_range(const NodeView& node, ReducePlan& plan) {
  if (!reduce_axes_known(node) || !node.input(0).shape_known) return false;
  Result<std::vector<bool>> mask = reduce_axis_mask(node, node.input(0).shape.rank());
  if (!mask.ok()) return false;
  const std::vector<bool>& m = mask.value();
  const auto first = std::find(m.begin(), m.end(), true);
  if (first == m.end()) {
    plan = ReducePlan{};
    return true;
  }
  const auto end = std::find(first, m.end(), false);
  if (std::find(end, m.end(), true) != m.end()) return false;
  plan.first = first - m.begin();
  plan.last = (end - m.begin()) - 1;
  return true;
}

bool accepts_reduce_mean(const NodeView& node) {
  ReducePlan plan;
  return reduced_range(node, plan);
}

Status prepare_reduce_mean(const NodeView& node, PrepareContext& ctx) {
  ReducePlan plan;
  if (!reduced_range(node, plan))
    return node.error(StatusCode::kInternal, "prepare called on a rejected node");
  ctx.state = std::make_shared<ReducePlan>(plan);
  return ok_status();
}

float row_sum(const float* x, int64_t n) {
  float acc[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
    for (int64_t j = 0; j < kLanes; ++j) acc[j] += x[i + j];
  }
  for (; i < n; ++i) acc[i % kLanes] += x[i];
  float s = 0.f;
  for (int64_t j = 0; j < kLanes; ++j) s += acc[j];
  return s;
}

void mean_rows(ThreadPool& pool, const float* x, float* y, int64_t rows, int64_t len) {
  const float inv = 1.0f / static_cast<float>(len);
  if (rows <= 8 && len >= 2 * kPartElems) {
    const int64_t parts = std::min<int64_t>(kMaxParts / rows, (len + kPartElems - 1) / kPartElems);
    const int64_t part_len = (len + parts - 1) / parts;
    float partial[kMaxParts];
    pool.parallel_for(rows * parts, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t r = t / parts, start = (t % parts) * part_len;
        partial[t] = start < len ? row_sum(x + r * len + start, std::min(part_len, len - start)) : 0.f;
      }
    });
    for (int64_t r = 0; r < rows; ++r) {
      float s = 0.f;
      for (int64_t p = 0; p < parts; ++p) s += partial[r * parts + p];
      y[r] = s * inv;
    }
    return;
  }
  const int64_t grain = std::max<int64_t>(1, kMinTaskElems / len);
  pool.parallel_for(rows, grain, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) y[r] = row_sum(x + r * len, len) * inv;
  });
}

// y[o, c] = mean_r x[o, r, c] for the [O, R, I] view, I > 1.
void mean_columns(ThreadPool& pool, const float* x, float* y, int64_t outer, int64_t reduced, int64_t inner) {
  const float inv = 1.0f / static_cast<float>(reduced);
  const int64_t blocks = (inner + kColumnBlock - 1) / kColumnBlock;
  const int64_t grain = std::max<int64_t>(1, kMinTaskElems / (reduced * std::min(inner, kColumnBlock)));
  pool.parallel_for(outer * blocks, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t o = t / blocks, c0 = (t % blocks) * kColumnBlock;
      const int64_t w = std::min(kColumnBlock, inner - c0);
      const float* src = x + o * reduced * inner + c0;
      float* dst = y + o * inner + c0;
      std::copy(src, src + w, dst);
      for (int64_t r = 1; r < reduced; ++r) {
        const float* row = src + r * inner;
        for (int64_t j = 0; j < w; ++j) dst[j] += row[j];
      }
      for (int64_t j = 0; j < w; ++j) dst[j] *= inv;
    }
  });
}

Status run_reduce_mean(const KernelContext& ctx) {
  const ReducePlan& plan = ctx.state_as<ReducePlan>();
  const Tensor& xt = *ctx.inputs[0];
  Tensor& yt = *ctx.outputs[0];
  const auto rank = static_cast<int64_t>(xt.rank());
  if (plan.last >= rank)
    return ctx.node.error(StatusCode::kInvalidArgument, "input rank changed since compile");
  int64_t outer = 1, reduced = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) {
    const int64_t dim = xt.dim(static_cast<size_t>(d));
    if (d < plan.first) {
      outer *= dim;
    } else if (d <= plan.last) {
      reduced *= dim;
    } else {
      inner *= dim;
    }
  }
  if (plan.first > plan.last) {  // nothing reduced (noop_with_empty_axes): a copy
    outer = xt.numel();
    reduced = 1;
    inner = 1;
  }
  const float* x = xt.data<float>();
  float* y = yt.data<float>();
  if (yt.numel() == 0) return ok_status();
  if (reduced == 0) {
    std::fill(y, y + yt.numel(), NAN);
    return ok_status();
  }
  if (inner == 1) {
    mean_rows(*ctx.pool, x, y, outer, reduced);
  } else {
    mean_columns(*ctx.pool, x, y, outer, reduced, inner);
  }
  return ok_status();
}

}  // namespace

void register_cpu_reduce_kernels(KernelRegistry& r) {
  r.add({.name = "reduce_mean_f32__portable",
         .op_type = "ReduceMean",
         .dtype = DType::kF32,
         .required_isa = Isa::kScalar,
         .priority = 10,
         .accepts = accepts_reduce_mean,
         .prepare = prepare_reduce_mean,
         .run = run_reduce_mean});
}

}  // namespace fastserve
