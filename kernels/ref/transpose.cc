// Reference Transpose (any dtype): output dim k is input dim perm[k]; the
// default perm reverses the dims. One element copy per output element, walking
// the output in row-major order and reading the input through permuted strides.
#include <cstring>
#include <memory>
#include <string>

#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

void transpose_ref(const Tensor& in, Tensor& out, std::span<const int64_t> perm) {
  const size_t rank = in.rank();
  FS_CHECK(perm.size() == rank && out.rank() == rank && out.dtype() == in.dtype());
  const size_t es = dtype_size(in.dtype());
  const std::vector<int64_t> in_strides = row_major_strides(in.shape());
  const auto* src = static_cast<const uint8_t*>(in.raw_data());
  auto* dst = static_cast<uint8_t*>(out.raw_data());
  std::vector<int64_t> idx(rank, 0);  // output multi-index
  for (int64_t n = 0; n < out.numel(); ++n) {
    int64_t off = 0;
    for (size_t k = 0; k < rank; ++k) off += idx[k] * in_strides[static_cast<size_t>(perm[k])];
    std::memcpy(dst + static_cast<size_t>(n) * es, src + static_cast<size_t>(off) * es, es);
    next_index(idx, out.shape());
  }
}

namespace {

struct TransposeState {
  bool has_perm = false;      // false: reverse the dims (the rank is known only per run)
  std::vector<int64_t> perm;  // validated against the rank by shape inference
};

Status prepare_transpose(const NodeView& node, PrepareContext& ctx) {
  auto s = std::make_shared<TransposeState>();
  s->has_perm = node.has_attr("perm");
  s->perm = node.attr_ints("perm");
  ctx.state = std::move(s);
  return ok_status();
}

Status run_transpose(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const TransposeState& s = ctx.state_as<TransposeState>();
  std::vector<int64_t> perm = s.perm;
  if (!s.has_perm) {
    for (int64_t k = static_cast<int64_t>(x.rank()) - 1; k >= 0; --k) perm.push_back(k);
  }
  if (perm.size() != x.rank()) {
    return ctx.node.error(StatusCode::kInvalidArgument, "perm has " + std::to_string(perm.size()) +
                                                            " entries but the input has rank " + std::to_string(x.rank()));
  }
  transpose_ref(x, *ctx.outputs[0], perm);
  return ok_status();
}

}  // namespace

void register_ref_transpose_kernels(KernelRegistry& r) {
  r.add({.name = "transpose__ref", .op_type = "Transpose", .dtype = DType::kUndefined,
         .prepare = prepare_transpose, .run = run_transpose});
}

}  // namespace fastserve
