// Reference GatherND and ScatterND (opset 11+, any dtype; int64 indices,
// int32 accepted). indices has shape [i_0..i_{q-2}, m]: each of its rows is
// a multi-index into data's dims [b, b+m) (b = batch_dims, GatherND 12+,
// whose leading b dims index data and indices in step), addressing a slice
// of data's remaining dims.
//   GatherND:  out[row] = data[batch(row)][indices[row]...]
//   ScatterND: out = data; out[indices[row]...] (op)= updates[row]
// ('reduction' none / add / mul 16+, max / min 18+, in row order). Negative
// index values count from the end of their dim; outside is kOutOfRange.
#include <cstring>
#include <string>
#include <vector>

#include "kernels/ref/scatter_reduction.h"
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct NdGeometry {
  int64_t batch = 1;        // product of the batch dims
  int64_t rows_per_batch = 0;
  int64_t m = 0;            // index length
  int64_t slice = 1;        // elements per addressed slice
  int64_t data_per_batch = 1;
  std::vector<int64_t> strides;  // data strides (elements) of dims b..b+m within one batch
};

Result<NdGeometry> nd_geometry(const KernelContext& ctx, const Tensor& data, const Tensor& indices, int64_t b) {
  if (indices.dtype() != DType::kI32 && indices.dtype() != DType::kI64) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          std::string("indices must be int64, got ") + dtype_name(indices.dtype()));
  }
  const auto r = static_cast<int64_t>(data.rank());
  const auto q = static_cast<int64_t>(indices.rank());
  if (q < 1 || b < 0 || b >= q || b >= r) {
    return ctx.node.error(StatusCode::kInvalidArgument, "batch_dims " + std::to_string(b) + " does not fit indices " +
                                                            indices.shape().to_string());
  }
  NdGeometry g;
  g.m = indices.dim(static_cast<size_t>(q - 1));
  if (g.m > r - b) {
    return ctx.node.error(StatusCode::kInvalidArgument, "index rows of length " + std::to_string(g.m) +
                                                            " exceed data " + data.shape().to_string());
  }
  for (int64_t k = 0; k < b; ++k) {
    if (indices.dim(static_cast<size_t>(k)) != data.dim(static_cast<size_t>(k))) {
      return ctx.node.error(StatusCode::kInvalidArgument, "batch dims of indices " + indices.shape().to_string() +
                                                              " and data " + data.shape().to_string() + " differ");
    }
    g.batch *= data.dim(static_cast<size_t>(k));
  }
  for (int64_t k = b + g.m; k < r; ++k) g.slice *= data.dim(static_cast<size_t>(k));
  g.strides.assign(static_cast<size_t>(g.m), 0);
  int64_t s = g.slice;
  for (int64_t k = g.m; k-- > 0;) {
    g.strides[static_cast<size_t>(k)] = s;
    s *= data.dim(static_cast<size_t>(b + k));
  }
  g.data_per_batch = s;
  // One index row per element of indices' leading dims; the batch dims lead.
  int64_t rows = 1;
  for (int64_t k = 0; k < q - 1; ++k) rows *= indices.dim(static_cast<size_t>(k));
  g.rows_per_batch = g.batch == 0 ? 0 : rows / g.batch;
  return g;
}

// Data offset (elements) of the slice index row `row` (global row number) addresses.
Result<int64_t> row_offset(const KernelContext& ctx, const Tensor& data, const Tensor& indices, const NdGeometry& g,
                           int64_t b, int64_t row) {
  const int64_t batch = g.rows_per_batch == 0 ? 0 : row / g.rows_per_batch;
  int64_t off = batch * g.data_per_batch;
  for (int64_t k = 0; k < g.m; ++k) {
    const int64_t d = data.dim(static_cast<size_t>(b + k));
    int64_t v = indices.element_as_int64(row * g.m + k);
    if (v < -d || v >= d) {
      return ctx.node.error(StatusCode::kOutOfRange, "index " + std::to_string(v) + " (indices row " +
                                                         std::to_string(row) + ") is out of range for a dim of size " +
                                                         std::to_string(d));
    }
    if (v < 0) v += d;
    off += v * g.strides[static_cast<size_t>(k)];
  }
  return off;
}

Status run_gather_nd(const KernelContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  const Tensor& indices = *ctx.inputs[1];
  const int64_t b = ctx.node.opset() >= 12 ? ctx.node.attr_int("batch_dims", 0) : 0;
  FS_ASSIGN_OR_RETURN(const NdGeometry g, nd_geometry(ctx, data, indices, b));
  const size_t block = static_cast<size_t>(g.slice) * dtype_size(data.dtype());
  const auto* src = static_cast<const uint8_t*>(data.raw_data());
  auto* dst = static_cast<uint8_t*>(ctx.outputs[0]->raw_data());
  const int64_t rows = g.batch * g.rows_per_batch;
  FS_CHECK(ctx.outputs[0]->numel() == rows * g.slice);
  for (int64_t row = 0; row < rows; ++row) {
    FS_ASSIGN_OR_RETURN(const int64_t off, row_offset(ctx, data, indices, g, b, row));
    if (block > 0) std::memcpy(dst + static_cast<size_t>(row) * block, src + static_cast<size_t>(off) * dtype_size(data.dtype()), block);
  }
  return ok_status();
}

Status run_scatter_nd(const KernelContext& ctx) {
  const Tensor& data = *ctx.inputs[0];
  const Tensor& indices = *ctx.inputs[1];
  const Tensor& upd = *ctx.inputs[2];
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const NdGeometry g, nd_geometry(ctx, data, indices, 0));
  const int64_t rows = g.batch * g.rows_per_batch;
  if (upd.dtype() != data.dtype() || upd.numel() != rows * g.slice) {
    return ctx.node.error(StatusCode::kInvalidArgument, "updates " + upd.to_string() + " do not match indices " +
                                                            indices.shape().to_string() + " and data " +
                                                            data.to_string());
  }
  FS_ASSIGN_OR_RETURN(const ScatterReduction red, resolve_scatter_reduction(ctx.node));
  FS_ASSIGN_OR_RETURN(const CombineFn combine, scatter_combiner(ctx.node, data.dtype(), red));
  if (data.nbytes() > 0) std::memcpy(y.raw_data(), data.raw_data(), data.nbytes());
  const size_t es = dtype_size(data.dtype());
  const auto* src = static_cast<const uint8_t*>(upd.raw_data());
  auto* dst = static_cast<uint8_t*>(y.raw_data());
  for (int64_t row = 0; row < rows; ++row) {
    FS_ASSIGN_OR_RETURN(const int64_t off, row_offset(ctx, data, indices, g, 0, row));
    for (int64_t e = 0; e < g.slice; ++e) {
      uint8_t* to = dst + static_cast<size_t>(off + e) * es;
      const uint8_t* from = src + static_cast<size_t>(row * g.slice + e) * es;
      if (combine == nullptr) std::memcpy(to, from, es);
      else combine(to, from, red);
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_gather_nd_kernels(KernelRegistry& r) {
  r.add({.name = "gather_nd__ref", .op_type = "GatherND", .since_version = 11, .dtype = DType::kUndefined,
         .run = run_gather_nd});
  r.add({.name = "scatter_nd__ref", .op_type = "ScatterND", .since_version = 11, .dtype = DType::kUndefined,
         .run = run_scatter_nd});
}

}  // namespace fastserve
