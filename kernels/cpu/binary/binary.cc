// Optimized f32 Add, Sub, Mul, Div with numpy broadcasting, one descriptor
// per op and ISA (scalar = auto-vectorized baseline, avx2, avx512).
//
// Layout: dense row-major inputs and output. Every broadcast is reduced to
// rows of one microkernel call (binary_ukernels.h):
//   1. Output dims of size 1 are dropped; adjacent dims are merged when both
//      inputs either run contiguously across them or broadcast across both.
//      This turns the common cases into at most three dims:
//        same shape            -> [n]              vv
//        scalar operand        -> [n]              vs / sv
//        bias [.., N] op [N]   -> [M, N]           vv per row
//        [N,C,H,W] op [C,1,1]  -> [N, C, H*W]      vs per (n, c) row
//   2. The innermost merged dim is the row; each input's stride there is 1
//      (vector) or 0 (scalar), which picks vv, vs or sv. Any other broadcast
//      is handled by the same walk over the outer dims (the strided fallback).
//   3. Rows, and blocks of long rows, are tasks for ctx.pool->parallel_for.
// run() does not allocate: the plan lives on the stack.
// fastserve.FusedAdd is Add with its activation applied to each output row
// block right after it is written (still in L1), in place.
#include <algorithm>

#include "kernels/cpu/binary/binary_ukernels.h"
#include "kernels/cpu/conv/conv_epilogue.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

constexpr int kMaxRank = 16;
constexpr int64_t kMinTaskElems = 16384;  // enough work per task to amortize the pool's wake-up
constexpr int64_t kRowBlock = 16384;      // rows longer than 2 blocks are split (multiple of 16)

// The broadcast reduced to merged dims, outermost first; strides in elements,
// 0 where an input is broadcast.
struct BroadcastPlan {
  int rank = 0;
  int64_t dims[kMaxRank];
  int64_t sa[kMaxRank];
  int64_t sb[kMaxRank];
};

// False when the merged rank exceeds kMaxRank.
bool make_plan(const Shape& out, const Shape& a, const Shape& b, BroadcastPlan& p) {
  const size_t rank = out.rank();
  // Built innermost first, then reversed.
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  int n = 0;
  int64_t ca = 1, cb = 1;  // contiguous strides of a and b at the current dim
  for (size_t k = 0; k < rank; ++k) {
    const int64_t od = out[rank - 1 - k];
    const int64_t ad = k < a.rank() ? a[a.rank() - 1 - k] : 1;
    const int64_t bd = k < b.rank() ? b[b.rank() - 1 - k] : 1;
    const int64_t stride_a = ad == 1 ? 0 : ca;
    const int64_t stride_b = bd == 1 ? 0 : cb;
    ca *= ad;
    cb *= bd;
    if (od == 1) continue;
    if (n > 0) {
      // Merge into the inner dim when each input keeps its kind (vector stays
      // contiguous, broadcast stays broadcast): the merged stride is the inner one.
      const bool merge_a = (stride_a == 0) == (sa[n - 1] == 0);
      const bool merge_b = (stride_b == 0) == (sb[n - 1] == 0);
      if (merge_a && merge_b) {
        dims[n - 1] *= od;
        continue;
      }
    }
    if (n == kMaxRank) return false;
    dims[n] = od;
    sa[n] = stride_a;
    sb[n] = stride_b;
    ++n;
  }
  if (n == 0) {  // every dim is 1 (or a 0-d output): one element
    dims[0] = 1;
    sa[0] = 0;
    sb[0] = 0;
    n = 1;
  }
  p.rank = n;
  for (int i = 0; i < n; ++i) {
    p.dims[i] = dims[n - 1 - i];
    p.sa[i] = sa[n - 1 - i];
    p.sb[i] = sb[n - 1 - i];
  }
  return true;
}

template <Isa kIsa>
const BinaryUkernels& ukernels(BinaryOp op) {
  const auto i = static_cast<int>(op);
  if constexpr (kIsa == Isa::kAvx512) return kBinaryUkernelsAvx512[i];
  if constexpr (kIsa == Isa::kAvx2) return kBinaryUkernelsAvx2[i];
  return kBinaryUkernelsScalar[i];
}

// kFused: the node is a FusedAdd whose prepare() stored its activation.
template <BinaryOp kOp, Isa kIsa, bool kFused = false>
Status run_binary(const KernelContext& ctx) {
  const ConvActivation* act = kFused ? &ctx.state_as<ConvActivation>() : nullptr;
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  BroadcastPlan p;
  if (!make_plan(y.shape(), a.shape(), b.shape(), p)) {
    return ctx.node.error(StatusCode::kUnsupported, "broadcast needs more than 16 merged dims");
  }
  const BinaryUkernels& uk = ukernels<kIsa>(kOp);
  const int last = p.rank - 1;
  const int64_t inner = p.dims[last];
  const int64_t rows = y.numel() / inner;
  const int64_t block = inner > 2 * kRowBlock ? kRowBlock : inner;
  const int64_t blocks_per_row = (inner + block - 1) / block;
  const int64_t grain = std::max<int64_t>(1, kMinTaskElems / block);
  const int64_t ia = p.sa[last], ib = p.sb[last];
  const BinaryUkernelFn fn = ia != 0 && ib != 0 ? uk.vv : ia != 0 ? uk.vs : ib != 0 ? uk.sv : nullptr;

  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  float* py = y.data<float>();
  ctx.pool->parallel_for(rows * blocks_per_row, grain, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      int64_t row = t / blocks_per_row;
      const int64_t start = (t % blocks_per_row) * block;
      const int64_t len = std::min(block, inner - start);
      int64_t off_a = 0, off_b = 0;
      const int64_t off_y = row * inner + start;
      for (int d = last - 1; d >= 0; --d) {
        const int64_t idx = row % p.dims[d];
        row /= p.dims[d];
        off_a += idx * p.sa[d];
        off_b += idx * p.sb[d];
      }
      const float* ra = pa + off_a + start * ia;
      const float* rb = pb + off_b + start * ib;
      float* ry = py + off_y;
      if (fn != nullptr) {
        fn(ra, rb, ry, len);
      } else {
        // Both operands constant along the row: one element, repeated.
        uk.vv(ra, rb, ry, 1);
        std::fill(ry + 1, ry + len, ry[0]);
      }
      if constexpr (kFused) act->apply(ry, len);
    }
  });
  return ok_status();
}

bool both_f32(const NodeView& node) {
  return node.input_dtype(0) == DType::kF32 && node.input_dtype(1) == DType::kF32;
}

template <BinaryOp kOp>
void add_variants(KernelRegistry& r, const char* op_type, const char* scalar, const char* avx2,
                  const char* avx512) {
  r.add({.name = scalar,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kScalar,
         .priority = 10,
         .accepts = both_f32,
         .run = run_binary<kOp, Isa::kScalar>});
  r.add({.name = avx2,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx2,
         .priority = 20,
         .accepts = both_f32,
         .run = run_binary<kOp, Isa::kAvx2>});
  r.add({.name = avx512,
         .op_type = op_type,
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx512,
         .priority = 30,
         .accepts = both_f32,
         .run = run_binary<kOp, Isa::kAvx512>});
}

template <Isa kIsa>
Status prepare_fused_add(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(ConvActivation act, parse_conv_activation(node, kIsa));
  ctx.state = std::make_shared<ConvActivation>(act);
  return ok_status();
}

void add_fused_add_variants(KernelRegistry& r) {
  r.add({.name = "fused_add_f32__portable",
         .op_type = "FusedAdd",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .required_isa = Isa::kScalar,
         .priority = 10,
         .accepts = both_f32,
         .prepare = prepare_fused_add<Isa::kScalar>,
         .run = run_binary<BinaryOp::kAdd, Isa::kScalar, true>});
  r.add({.name = "fused_add_f32__avx2",
         .op_type = "FusedAdd",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx2,
         .priority = 20,
         .accepts = both_f32,
         .prepare = prepare_fused_add<Isa::kAvx2>,
         .run = run_binary<BinaryOp::kAdd, Isa::kAvx2, true>});
  r.add({.name = "fused_add_f32__avx512",
         .op_type = "FusedAdd",
         .domain = "fastserve",
         .dtype = DType::kF32,
         .required_isa = Isa::kAvx512,
         .priority = 30,
         .accepts = both_f32,
         .prepare = prepare_fused_add<Isa::kAvx512>,
         .run = run_binary<BinaryOp::kAdd, Isa::kAvx512, true>});
}

}  // namespace

void register_cpu_binary_kernels(KernelRegistry& r) {
  add_fused_add_variants(r);
  add_variants<BinaryOp::kAdd>(r, "Add", "add_f32__portable", "add_f32__avx2", "add_f32__avx512");
  add_variants<BinaryOp::kSub>(r, "Sub", "sub_f32__portable", "sub_f32__avx2", "sub_f32__avx512");
  add_variants<BinaryOp::kMul>(r, "Mul", "mul_f32__portable", "mul_f32__avx2", "mul_f32__avx512");
  add_variants<BinaryOp::kDiv>(r, "Div", "div_f32__portable", "div_f32__avx2", "div_f32__avx512");
}

}  // namespace fastserve
