// Reference GatherElements and ScatterElements (opset 11+, any dtype; int32
// or int64 indices). Both pair each element of `indices` (shape = the
// output's for Gather, the updates' for Scatter) with the data element at
// the same multi-index except along `axis`, where the index value is used
// (negative counts from the end; outside [-d, d-1] is kOutOfRange).
//   GatherElements:  out[p] = data[p with p[axis] = indices[p]]
//   ScatterElements: out = data; out[p with p[axis] = indices[p]] (op)= updates[p]
// with 'reduction' none / add / mul (16+) / max / min (18+), applied in
// index order (duplicates under 'none' keep the last update).
#include <cstring>
#include <string>
#include <vector>

#include "graph/shape_op_params.h"
#include "kernels/ref/scatter_reduction.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

Status check_indices_dtype(const KernelContext& ctx, const Tensor& indices) {
  if (indices.dtype() != DType::kI32 && indices.dtype() != DType::kI64) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          std::string("indices must be int32 or int64, got ") + dtype_name(indices.dtype()));
  }
  return ok_status();
}

// Calls fn(indices element i, data offset) for every element of `indices`.
template <typename Fn>
Status for_each_target(const KernelContext& ctx, const Tensor& data, const Tensor& indices, Fn fn) {
  FS_RETURN_IF_ERROR(check_indices_dtype(ctx, indices));
  const auto rank = static_cast<int64_t>(data.rank());
  if (static_cast<int64_t>(indices.rank()) != rank) {
    return ctx.node.error(StatusCode::kInvalidArgument, "indices and data differ in rank");
  }
  FS_ASSIGN_OR_RETURN(const int64_t axis,
                      resolve_node_axis(ctx.node, ctx.node.attr_int("axis", 0), rank, "attribute 'axis'"));
  if (indices.numel() == 0) return ok_status();
  const std::vector<int64_t> st = row_major_strides(data.shape());
  const int64_t d = data.dim(static_cast<size_t>(axis));
  std::vector<int64_t> p(static_cast<size_t>(rank), 0);
  int64_t i = 0;
  do {
    int64_t v = indices.element_as_int64(i);
    if (v < -d || v >= d) {
      return ctx.node.error(StatusCode::kOutOfRange, "index " + std::to_string(v) + " (indices element " +
                                                         std::to_string(i) + ") is out of range for axis " +
                                                         std::to_string(axis) + " of size " + std::to_string(d));
    }
    if (v < 0) v += d;
    int64_t off = 0;
    for (int64_t k = 0; k < rank; ++k) {
      const int64_t c = k == axis ? v : p[static_cast<size_t>(k)];
      if (k != axis && c >= data.dim(static_cast<size_t>(k))) {
        return ctx.node.error(StatusCode::kInvalidArgument, "indices " + indices.shape().to_string() +
                                                                " exceed data " + data.shape().to_string() +
                                                                " off the axis");
      }
      off += c * st[static_cast<size_t>(k)];
    }
    fn(i++, off);
  } while (next_index(p, indices.shape()));
  return ok_status();
}

Status run_gather_elements(const KernelContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  const size_t es = dtype_size(data.dtype());
  const auto* src = static_cast<const uint8_t*>(data.raw_data());
  auto* dst = static_cast<uint8_t*>(ctx.outputs[0]->raw_data());
  return for_each_target(ctx, data, *ctx.inputs[1], [&](int64_t i, int64_t off) {
    std::memcpy(dst + static_cast<size_t>(i) * es, src + static_cast<size_t>(off) * es, es);
  });
}

Status run_scatter_elements(const KernelContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  const Tensor& upd = *ctx.inputs[2];
  Tensor& y = *ctx.outputs[0];
  if (upd.shape() != ctx.inputs[1]->shape() || upd.dtype() != data.dtype()) {
    return ctx.node.error(StatusCode::kInvalidArgument, "updates " + upd.to_string() + " must match indices " +
                                                            ctx.inputs[1]->shape().to_string() + " and data dtype");
  }
  FS_ASSIGN_OR_RETURN(const ScatterReduction red, resolve_scatter_reduction(ctx.node));
  FS_ASSIGN_OR_RETURN(const CombineFn combine, scatter_combiner(ctx.node, data.dtype(), red));
  const size_t es = dtype_size(data.dtype());
  if (data.nbytes() > 0) std::memcpy(y.raw_data(), data.raw_data(), data.nbytes());
  const auto* src = static_cast<const uint8_t*>(upd.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  return for_each_target(ctx, data, *ctx.inputs[1], [&](int64_t i, int64_t off) {
    uint8_t* to = dst + static_cast<size_t>(off) * es;
    const uint8_t* from = src + static_cast<size_t>(i) * es;
    if (combine == nullptr) std::memcpy(to, from, es);
    else combine(to, from, red);
  });
}

}  // namespace

void register_ref_gather_elements_kernels(KernelRegistry& r) {
  r.add({.name = "gather_elements__ref", .op_type = "GatherElements", .since_version = 11,
         .dtype = DType::kUndefined, .run = run_gather_elements});
  r.add({.name = "scatter_elements__ref", .op_type = "ScatterElements", .since_version = 11,
         .dtype = DType::kUndefined, .run = run_scatter_elements});
}

}  // namespace fastserve
