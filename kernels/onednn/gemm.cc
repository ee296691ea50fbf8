// gemm_f32__onednn: ONNX Gemm, Y = alpha * op(A) * op(B) + beta * C, on
// oneDNN's matmul primitive, FP32.
//
// transA / transB are strides, not copies: op(A) [M, K] is A read with
// strides (1, M) when transposed. alpha is the primitive's output scale.
// beta * C goes through a "sum" post-op: Y is first filled with C
// broadcast to [M, N] (scalar, [N], [1, N], [M, 1], [M, N]) and the
// primitive adds beta * Y to its result, so every broadcast and any beta
// take one path (oneDNN's own bias is scaled by alpha and runs its slow
// reference kernel for [M, 1] and scalar shapes). The fill costs M*N stores
// against the product's M*N*K multiply-adds. A constant B is reordered once
// into the layout oneDNN asks for (format_tag::any).
#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

struct GemmEntry {
  Primitive matmul;
  memory::desc a, user_b, b, y;
  std::optional<memory> packed_b;  // `b` layout, when B is constant and oneDNN wants another layout
  int64_t m = 0, n = 0, k = 0;
};

struct GemmState {
  bool trans_a = false, trans_b = false;
  float alpha = 1.f, beta = 1.f;
  bool use_c = false;  // C given and beta != 0
  bool b_constant = false;
  PrimitiveCache<GemmEntry> cache;
};

bool accepts_gemm(const NodeView& node) {
  for (size_t i : {size_t{0}, size_t{1}}) {
    if (!node.has_input(i) || !node.input(i).shape_known || node.input(i).shape.rank() != 2) return false;
  }
  if (node.input_dtype(1) != DType::kF32) return false;
  if (node.has_input(2)) {
    if (node.input_dtype(2) != DType::kF32 || !node.input(2).shape_known || node.input(2).shape.rank() > 2) {
      return false;
    }
  }
  return true;
}

// Row-major [rows, cols] stored transposed (column-major) when `trans`.
memory::desc matrix_desc(int64_t rows, int64_t cols, bool trans) {
  return memory::desc({rows, cols}, memory::data_type::f32,
                      trans ? memory::dims{1, rows} : memory::dims{cols, 1});
}

Result<GemmEntry> make_gemm_entry(const NodeView& node, const GemmState& st, const Tensor* b_value) {
  const Shape& as = node.input(0).shape;
  const Shape& bs = node.input(1).shape;
  GemmEntry e;
  e.m = st.trans_a ? as[1] : as[0];
  e.k = st.trans_a ? as[0] : as[1];
  e.n = st.trans_b ? bs[0] : bs[1];
  const int64_t kb = st.trans_b ? bs[1] : bs[0];
  if (kb != e.k) {
    return node.error(StatusCode::kInvalidArgument,
                      "inner dims differ: A " + as.to_string() + ", B " + bs.to_string());
  }
  e.a = matrix_desc(e.m, e.k, st.trans_a);
  e.user_b = matrix_desc(e.k, e.n, st.trans_b);
  e.y = matrix_desc(e.m, e.n, false);
  const memory::desc b_req =
      st.b_constant ? memory::desc({e.k, e.n}, memory::data_type::f32, memory::format_tag::any) : e.user_b;
  dnnl::primitive_attr attr = onednn_attr();
  if (st.alpha != 1.f) attr.set_output_scales(0, {st.alpha});
  if (st.use_c) {
    dnnl::post_ops ops;
    ops.append_sum(st.beta);
    attr.set_post_ops(ops);
  }
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(e.a, b_req, e.y), attr, cpu_engine());
  e.matmul = Primitive{dnnl::matmul(pd), pd.scratchpad_desc()};
  e.b = pd.weights_desc();
  if (b_value != nullptr && e.b != e.user_b) {
    e.packed_b = memory(e.b, cpu_engine());
    make_reorder(e.user_b, e.b)
        .execute({{DNNL_ARG_FROM, wrap(e.user_b, b_value->data<float>())}, {DNNL_ARG_TO, *e.packed_b}});
    thread_stream().wait();
  }
  return e;
}

// Y[M, N] = C broadcast (numpy rules: C's dims align right, 1 repeats).
void fill_with_c(const Tensor& c, int64_t m, int64_t n, float* y) {
  const int64_t c_rows = c.rank() == 2 ? c.dim(0) : 1;
  const int64_t c_cols = c.rank() >= 1 ? c.dim(c.rank() - 1) : 1;
  const float* cd = c.data<float>();
  for (int64_t i = 0; i < m; ++i) {
    const float* row = cd + (c_rows == 1 ? 0 : i) * c_cols;
    float* out = y + i * n;
    if (c_cols == 1) {
      std::fill(out, out + n, row[0]);
    } else {
      std::memcpy(out, row, static_cast<size_t>(n) * sizeof(float));
    }
  }
}

Status prepare_gemm(const NodeView& node, PrepareContext& ctx) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<GemmState>();
  st->trans_a = node.attr_int("transA", 0) != 0;
  st->trans_b = node.attr_int("transB", 0) != 0;
  st->alpha = node.attr_float("alpha", 1.f);
  st->beta = node.attr_float("beta", 1.f);
  st->use_c = node.has_input(2) && st->beta != 0.f;
  st->b_constant = node.input_value(1) != nullptr;
  const std::vector<int64_t> key = shape_key(node);
  if (shape_key_is_static(key)) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "matmul (Gemm)", [&]() -> Status {
      auto e = st->cache.get(key, [&] { return make_gemm_entry(node, *st, node.input_value(1)); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_gemm(const KernelContext& ctx) {
  const GemmState& st = ctx.state_as<GemmState>();
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  float* yd = y.data<float>();
  const int64_t m = y.dim(0), n = y.dim(1);
  if (st.use_c) fill_with_c(*ctx.inputs[2], m, n, yd);
  if ((st.trans_a ? a.dim(0) : a.dim(1)) == 0) {
    // K = 0: the product is empty; Y is beta * C (or 0).
    for (int64_t i = 0; i < m * n; ++i) yd[i] = st.use_c ? st.beta * yd[i] : 0.f;
    return ok_status();
  }
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "matmul (Gemm)", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const GemmEntry> e, st.cache.get(shape_key(ctx.node), [&] {
      return make_gemm_entry(ctx.node, st, st.b_constant ? &b : nullptr);
    }));
    const memory bm = e->packed_b ? *e->packed_b : wrap(e->user_b, b.data<float>());
    e->matmul.execute({{DNNL_ARG_SRC, wrap(e->a, a.data<float>())},
                       {DNNL_ARG_WEIGHTS, bm},
                       {DNNL_ARG_DST, wrap(e->y, yd)}});
    thread_stream().wait();
    return ok_status();
  });
}

}  // namespace

void register_onednn_gemm_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "gemm_f32__onednn",
                   .provider = kProviderOneDnn,
                   .op_type = "Gemm",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx2,
                   .priority = kOneDnnPriority,
                   .accepts = &accepts_gemm,
                   .prepare = &prepare_gemm,
                   .run = &run_gemm});
}

}  // namespace fastserve::onednn
