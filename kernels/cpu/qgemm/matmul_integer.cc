// matmul_integer__{vnni,portable}: MatMulInteger (and the integer GEMM
// behind fastserve.DynQuantMatMul) on the INT8 GEMM of qgemm.h, for a
// constant 2-D B, packed once at prepare().
//
// The GEMM multiplies u8 by s8; other signs are shifted by 128 with the zero
// point shifted alike, which leaves (a - a_zp) and (b - b_zp) unchanged:
//   A int8:  a + 128 (a copy per run), a_zp + 128
//   B uint8: b - 128 (at pack time),   b_zp - 128
// Zero points: A per tensor; B per tensor or per column ([N]). Batched A
// [..., M, K] runs as one (batch*M) x K GEMM. Other cases (B not constant,
// per-row A zero points) fall to the reference kernel.
#include <cstring>
#include <memory>
#include <vector>

#include "kernels/cpu/qgemm/qgemm.h"
#include "kernels/cpu/qgemm/qgemm_ops.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

#ifdef FASTSERVE_QGEMM_X86
void int32_row_to_float_avx512(float* row, int64_t n, const float* scale, bool per_column, const float* bias);
#endif

namespace {

struct MatMulIntegerState {
  const QGemmUkernel* uk = nullptr;
  QPackedB b;
  bool b_unsigned = false;  // packed as b - 128
};

bool accepts_matmul_integer(const NodeView& node) {
  const DType a = node.input_dtype(0), b = node.input_dtype(1);
  if ((a != DType::kU8 && a != DType::kI8) || (b != DType::kU8 && b != DType::kI8)) return false;
  const Tensor* w = node.input_value(1);
  if (w == nullptr || w->rank() != 2) return false;
  if (node.has_input(2) && (!node.input(2).shape_known || node.input(2).shape.numel() != 1)) return false;
  return true;
}

template <Isa kIsa>
Status prepare_matmul_integer(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<MatMulIntegerState>();
  st->uk = &qgemm_ukernel_for_isa(kIsa);
  const Tensor& w = *node.input_value(1);
  st->b_unsigned = w.dtype() == DType::kU8;
  const int64_t k = w.dim(0), n = w.dim(1);
  if (st->b_unsigned) {
    std::vector<int8_t> shifted(static_cast<size_t>(w.numel()));
    const uint8_t* src = w.data<uint8_t>();
    for (size_t i = 0; i < shifted.size(); ++i) shifted[i] = static_cast<int8_t>(int{src[i]} - 128);
    st->b = qgemm_pack_b(shifted.data(), k, n, n, false);
  } else {
    st->b = qgemm_pack_b(static_cast<const int8_t*>(w.raw_data()), k, n, n, false);
  }
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

// fastserve.MatMulIntegerToFloat: the int32 GEMM into y's own bytes (int32
// and float are both 4 bytes), then float(acc) * scale[n] (+ bias[n]) in
// place, row by row on the pool.
Status run_matmul_integer_to_float(const KernelContext& ctx) {
  const auto& st = ctx.state_as<MatMulIntegerState>();
  const Tensor& a = *ctx.inputs[0];
  const Tensor* a_zp = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const Tensor* b_zp = ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
  const Tensor* scale = ctx.inputs.size() > 4 ? ctx.inputs[4] : nullptr;
  const Tensor* bias = ctx.inputs.size() > 5 ? ctx.inputs[5] : nullptr;
  Tensor& y = *ctx.outputs[0];
  const int64_t n = st.b.n;
  if (scale == nullptr || scale->dtype() != DType::kF32 || (scale->numel() != 1 && scale->numel() != n)) {
    return ctx.node.error(StatusCode::kInvalidArgument, "scale must be float32, a scalar or [" + std::to_string(n) + "]");
  }
  if (bias != nullptr && (bias->dtype() != DType::kF32 || bias->numel() != n)) {
    return ctx.node.error(StatusCode::kInvalidArgument, "bias must be float32 [" + std::to_string(n) + "]");
  }
  auto* acc = static_cast<int32_t*>(y.raw_data());
  FS_RETURN_IF_ERROR(run_integer_gemm(ctx, *st.uk, st.b, st.b_unsigned, a, a_zp, b_zp, acc));
  const int64_t rows = y.numel() / std::max<int64_t>(n, 1);
  const float* s = scale->data<float>();
  const bool per_column = scale->numel() == n && n > 1;
  const float* bd = bias != nullptr ? bias->data<float>() : nullptr;
  float* out = y.data<float>();
  ctx.pool->parallel_for(rows, std::max<int64_t>(1, 16384 / std::max<int64_t>(n, 1)), [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      float* out_row = out + r * n;
#ifdef FASTSERVE_QGEMM_X86
      if (st.uk->isa >= Isa::kAvx512Vnni) {
        int32_row_to_float_avx512(out_row, n, s, per_column, bd);
        continue;
      }
#endif
      for (int64_t j = 0; j < n; ++j) {
        int32_t a_ij;  // the GEMM's int32 in this float's bytes (memcpy: no aliasing of the two types)
        std::memcpy(&a_ij, out_row + j, sizeof a_ij);
        const float v = static_cast<float>(a_ij) * s[per_column ? j : 0];
        out_row[j] = bd != nullptr ? v + bd[j] : v;
      }
    }
  });
  return ok_status();
}

Status run_matmul_integer(const KernelContext& ctx) {
  const auto& st = ctx.state_as<MatMulIntegerState>();
  const Tensor& a = *ctx.inputs[0];
  const Tensor* a_zp = ctx.inputs.size() > 2 ? ctx.inputs[2] : nullptr;
  const Tensor* b_zp = ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
  Tensor& y = *ctx.outputs[0];
  return run_integer_gemm(ctx, *st.uk, st.b, st.b_unsigned, a, a_zp, b_zp, y.data<int32_t>());
}

}  // namespace

Status run_integer_gemm(const KernelContext& ctx, const QGemmUkernel& uk, const QPackedB& b, bool b_unsigned,
                        const Tensor& a, const Tensor* a_zp, const Tensor* b_zp, int32_t* y) {
  const int64_t k = b.k, n = b.n;
  if (a.rank() < 1 || a.dim(a.rank() - 1) != k) {
    return ctx.node.error(StatusCode::kInvalidArgument, "A " + a.shape().to_string() + " does not have K = " +
                                                            std::to_string(k));
  }
  const int64_t m = a.numel() / std::max<int64_t>(k, 1);
  QGemmArgs args;
  args.m = m;
  args.n = n;
  args.k = k;
  args.b = &b;
  args.c = y;
  args.ldc = n;
  args.a_zero_point = a_zp != nullptr ? static_cast<int32_t>(a_zp->element_as_int64(0)) : 0;
  const uint8_t* ad = static_cast<const uint8_t*>(a.raw_data());
  if (a.dtype() == DType::kI8) {
    // int8 A: + 128 into this thread's buffer (the run's only copy of A).
    thread_local std::vector<uint8_t> buf;
    buf.resize(static_cast<size_t>(a.numel()));
    const auto* src = static_cast<const int8_t*>(a.raw_data());
    for (size_t i = 0; i < buf.size(); ++i) buf[i] = static_cast<uint8_t>(int{src[i]} + 128);
    ad = buf.data();
    args.a_zero_point += 128;
  }
  args.a = ad;
  args.lda = k;
  const int32_t b_shift = b_unsigned ? 128 : 0;
  std::vector<int32_t> zb_cols;
  if (b_zp != nullptr && b_zp->numel() > 1) {
    if (b_zp->numel() != n) {
      return ctx.node.error(StatusCode::kInvalidArgument, "b_zero_point " + b_zp->shape().to_string() +
                                                              " is not a scalar or [" + std::to_string(n) + "]");
    }
    zb_cols.resize(static_cast<size_t>(n));
    for (int64_t j = 0; j < n; ++j) zb_cols[static_cast<size_t>(j)] = static_cast<int32_t>(b_zp->element_as_int64(j)) - b_shift;
    args.b_zero_points = zb_cols.data();
  } else {
    args.b_zero_point = (b_zp != nullptr ? static_cast<int32_t>(b_zp->element_as_int64(0)) : 0) - b_shift;
  }
  qgemm_u8s8s32(uk, args, ctx.pool);
  return ok_status();
}

void register_cpu_matmul_integer_kernels(KernelRegistry& r) {
#ifdef FASTSERVE_QGEMM_X86
  r.add({.name = "matmul_integer__vnni", .op_type = "MatMulInteger", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kAvx512Vnni, .priority = 30,
         .accepts = accepts_matmul_integer, .prepare = prepare_matmul_integer<Isa::kAvx512Vnni>,
         .run = run_matmul_integer});
  r.add({.name = "matmul_integer_to_float__vnni", .op_type = "MatMulIntegerToFloat", .domain = "fastserve",
         .dtype = DType::kUndefined, .required_isa = Isa::kAvx512Vnni, .priority = 30,
         .accepts = accepts_matmul_integer, .prepare = prepare_matmul_integer<Isa::kAvx512Vnni>,
         .run = run_matmul_integer_to_float});
#endif
  r.add({.name = "matmul_integer_to_float__portable", .op_type = "MatMulIntegerToFloat", .domain = "fastserve",
         .dtype = DType::kUndefined, .required_isa = Isa::kScalar, .priority = 10,
         .accepts = accepts_matmul_integer, .prepare = prepare_matmul_integer<Isa::kScalar>,
         .run = run_matmul_integer_to_float});
  r.add({.name = "matmul_integer__portable", .op_type = "MatMulInteger", .since_version = 10,
         .dtype = DType::kUndefined, .required_isa = Isa::kScalar, .priority = 10,
         .accepts = accepts_matmul_integer, .prepare = prepare_matmul_integer<Isa::kScalar>,
         .run = run_matmul_integer});
}

}  // namespace fastserve
