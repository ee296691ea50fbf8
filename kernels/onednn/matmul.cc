// matmul_f32__onednn: ONNX MatMul (numpy semantics) on oneDNN's matmul
// primitive, FP32, ranks 1 to 12 with batch broadcast.
//
// Shapes map as numpy does: a 1-D A is [1, K], a 1-D B is [K, 1] (the added
// dim is dropped from Y, which leaves Y's bytes unchanged), and the lower
// rank side gets leading 1s, because oneDNN wants equal ranks and broadcasts
// dims of size 1. When B has no batch dims (the Linear-layer case, A [..., K]
// times a [K, N] weight), A's batch dims fold into M: one 2-D product, and a
// constant B is reordered once into the layout oneDNN asks for.
#include <algorithm>
#include <memory>
#include <optional>
#include <vector>

#include "kernels/onednn/onednn_kernels.h"
#include "kernels/onednn/onednn_runtime.h"
#include "kernels/onednn/primitive_cache.h"

namespace fastserve::onednn {
namespace {

using dnnl::memory;

constexpr size_t kMaxRank = 12;  // DNNL_MAX_NDIMS

struct MatMulEntry {
  Primitive matmul;
  memory::desc a, user_b, b, y;
  std::optional<memory> packed_b;
};

struct MatMulState {
  bool b_constant = false;
  PrimitiveCache<MatMulEntry> cache;
};

bool accepts_matmul(const NodeView& node) {
  for (size_t i : {size_t{0}, size_t{1}}) {
    if (!node.has_input(i) || !node.input(i).shape_known) return false;
    const size_t r = node.input(i).shape.rank();
    if (r < 1 || r > kMaxRank) return false;
  }
  return node.input_dtype(1) == DType::kF32;
}

// The oneDNN dims of A, B and Y for the node's current shapes.
struct MatMulDims {
  std::vector<int64_t> a, b, y;
};

Result<MatMulDims> matmul_dims(const NodeView& node) {
  std::vector<int64_t> a = node.input(0).shape.dims(), b = node.input(1).shape.dims();
  if (a.size() == 1) a.insert(a.begin(), 1);
  if (b.size() == 1) b.push_back(1);
  if (a.back() != b[b.size() - 2]) {
    return node.error(
        StatusCode::kInvalidArgument,
        "inner dims differ: A " + node.input(0).shape.to_string() + ", B " + node.input(1).shape.to_string());
  }
  MatMulDims d;
  if (b.size() == 2) {
    // Fold A's batch dims into M: A [..., M, K] is the row-major [prod * M, K].
    int64_t rows = 1;
    for (size_t i = 0; i + 1 < a.size(); ++i) rows *= a[i];
    d.a = {rows, a.back()};
    d.b = b;
    d.y = {rows, b[1]};
    return d;
  }
  const size_t rank = std::max(a.size(), b.size());
  a.insert(a.begin(), rank - a.size(), 1);
  b.insert(b.begin(), rank - b.size(), 1);
  d.y.resize(rank);
  for (size_t i = 0; i + 2 < rank; ++i) d.y[i] = std::max(a[i], b[i]);
  d.y[rank - 2] = a[rank - 2];
  d.y[rank - 1] = b[rank - 1];
  d.a = std::move(a);
  d.b = std::move(b);
  return d;
}

Result<MatMulEntry> make_matmul_entry(const NodeView& node, const MatMulState& st, const Tensor* b_value) {
  FS_ASSIGN_OR_RETURN(MatMulDims d, matmul_dims(node));
  MatMulEntry e;
  e.a = plain_f32_desc(d.a);
  e.user_b = plain_f32_desc(d.b);
  e.y = plain_f32_desc(d.y);
  const bool pack = st.b_constant && d.b.size() == 2;
  const memory::desc b_req = pack ? memory::desc(memory::dims(d.b.begin(), d.b.end()), memory::data_type::f32,
                                                 memory::format_tag::any)
                                  : e.user_b;
  const dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(e.a, b_req, e.y), onednn_attr(), cpu_engine());
  e.matmul = Primitive{dnnl::matmul(pd), pd.scratchpad_desc()};
  e.b = pd.weights_desc();
  if (pack && b_value != nullptr && e.b != e.user_b) {
    e.packed_b = memory(e.b, cpu_engine());
    make_reorder(e.user_b, e.b)
        .execute({{DNNL_ARG_FROM, wrap(e.user_b, b_value->data<float>())}, {DNNL_ARG_TO, *e.packed_b}});
    thread_stream().wait();
  }
  return e;
}

Status prepare_matmul(const NodeView& node, PrepareContext& ctx) {
  FS_RETURN_IF_ERROR(apply_isa_cap(node, ctx.isa));
  auto st = std::make_shared<MatMulState>();
  st->b_constant = node.input_value(1) != nullptr;
  const std::vector<int64_t> key = shape_key(node);
  if (shape_key_is_static(key)) {
    OmpTeamSize team(ctx.num_threads);
    FS_RETURN_IF_ERROR(guarded(node, "matmul", [&]() -> Status {
      auto e = st->cache.get(key, [&] { return make_matmul_entry(node, *st, node.input_value(1)); });
      return e.ok() ? ok_status() : e.status();
    }));
  }
  ctx.state = std::move(st);
  return ok_status();
}

Status run_matmul(const KernelContext& ctx) {
  const MatMulState& st = ctx.state_as<MatMulState>();
  const Tensor& a = *ctx.inputs[0];
  const Tensor& b = *ctx.inputs[1];
  Tensor& y = *ctx.outputs[0];
  if (y.numel() == 0) return ok_status();
  if (a.numel() == 0 || b.numel() == 0) {
    // K = 0 (Y is not empty, so A and B hold no products): Y is all zeros.
    std::fill(y.data<float>(), y.data<float>() + y.numel(), 0.f);
    return ok_status();
  }
  OmpTeamSize team(ctx.pool->num_threads());
  return guarded(ctx.node, "matmul", [&]() -> Status {
    FS_ASSIGN_OR_RETURN(std::shared_ptr<const MatMulEntry> e, st.cache.get(shape_key(ctx.node), [&] {
      return make_matmul_entry(ctx.node, st, st.b_constant ? &b : nullptr);
    }));
    const memory bm = e->packed_b ? *e->packed_b : wrap(e->user_b, b.data<float>());
    e->matmul.execute({{DNNL_ARG_SRC, wrap(e->a, a.data<float>())},
                       {DNNL_ARG_WEIGHTS, bm},
                       {DNNL_ARG_DST, wrap(e->y, y.data<float>())}});
    thread_stream().wait();
    return ok_status();
  });
}

}  // namespace

void register_onednn_matmul_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "matmul_f32__onednn",
                   .provider = kProviderOneDnn,
                   .op_type = "MatMul",
                   .dtype = DType::kF32,
                   .required_isa = Isa::kAvx2,
                   .priority = kOneDnnPriority,
                   .accepts = &accepts_matmul,
                   .prepare = &prepare_matmul,
                   .run = &run_matmul});
}

}  // namespace fastserve::onednn
