// Reference pooling, NCHW, any number of spatial dims, FP32 unless noted:
// max_pool_{f32,f64,f16,bf16,i8,u8}__ref (with the optional Indices output
// and storage_order; 16-bit floats compare as float),
// average_pool_f32__ref (count_include_pad, ceil_mode, dilations),
// global_average_pool_f32__ref, global_max_pool_f32__ref.
#include <limits>
#include <vector>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/nn_ref.h"
#include "kernels/ref/typed_registration.h"

namespace fastserve {
namespace {

struct Plane {
  std::vector<int64_t> stride;  // row-major strides of the spatial dims
  int64_t size = 1;
};

Plane plane_of(const std::vector<int64_t>& dims) {
  Plane p;
  p.stride.assign(dims.size(), 1);
  for (size_t i = dims.size(); i-- > 0;) {
    p.stride[i] = p.size;
    p.size *= dims[i];
  }
  return p;
}

// MaxPool-22's element types.
using MaxPoolTypes = TypeList<float, double, Half, BFloat16, int8_t, uint8_t>;

template <typename T>
void max_pool_typed(const Tensor& x, const WindowGeometry& g, Tensor& y, Tensor* indices,
                    int64_t storage_order) {
  const size_t nd = g.nd();
  const int64_t planes = x.dim(0) * x.dim(1);
  const Plane xp = plane_of(g.in), yp = plane_of(g.out);
  // Column-major strides for storage_order = 1 (first spatial dim fastest).
  std::vector<int64_t> col_stride(nd, 1);
  for (size_t i = 1; i < nd; ++i) col_stride[i] = col_stride[i - 1] * g.in[i - 1];
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  int64_t* id = indices != nullptr ? indices->data<int64_t>() : nullptr;
  for (int64_t pl = 0; pl < planes; ++pl) {
    const T* xc = xd + pl * xp.size;
    std::vector<int64_t> o(nd, 0);
    int64_t yi = pl * yp.size;
    do {
      compute_t<T> best = std::numeric_limits<compute_t<T>>::lowest();
      int64_t best_index = 0;
      bool found = false;
      std::vector<int64_t> k(nd, 0);
      do {
        int64_t off = 0, col_off = 0;
        bool inside = true;
        for (size_t i = 0; i < nd; ++i) {
          const int64_t pos = o[i] * g.stride[i] - g.pad_begin[i] + k[i] * g.dilation[i];
          if (pos < 0 || pos >= g.in[i]) {
            inside = false;
            break;
          }
          off += pos * xp.stride[i];
          col_off += pos * col_stride[i];
        }
        if (inside && (!found || to_compute(xc[off]) > best)) {
          best = to_compute(xc[off]);
          best_index = pl * xp.size + (storage_order == 0 ? off : col_off);
          found = true;
        }
      } while (ref_next_index(k, g.kernel));
      yd[yi] = from_compute<T>(best);
      if (id != nullptr) id[yi] = best_index;
      ++yi;
    } while (ref_next_index(o, g.out));
  }
}

}  // namespace

void max_pool_ref(const Tensor& x, const WindowGeometry& g, Tensor& y, Tensor* indices,
                  int64_t storage_order) {
  const bool known = visit_dtype<MaxPoolTypes>(
      x.dtype(),
      [&]<typename T>() {
        max_pool_typed<T>(x, g, y, indices, storage_order);
        return true;
      },
      [] { return false; });
  FS_CHECK_MSG(known, dtype_name(x.dtype()));
}

void average_pool_f32_ref(const Tensor& x, const WindowGeometry& g, bool count_include_pad, Tensor& y) {
  const size_t nd = g.nd();
  const int64_t planes = x.dim(0) * x.dim(1);
  const Plane xp = plane_of(g.in), yp = plane_of(g.out);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xc = xd + pl * xp.size;
    std::vector<int64_t> o(nd, 0);
    int64_t yi = pl * yp.size;
    do {
      double sum = 0.0;
      int64_t count = 0;
      std::vector<int64_t> k(nd, 0);
      do {
        int64_t off = 0;
        bool inside = true, in_padded = true;
        for (size_t i = 0; i < nd; ++i) {
          const int64_t pos = o[i] * g.stride[i] - g.pad_begin[i] + k[i] * g.dilation[i];
          if (pos < -g.pad_begin[i] || pos >= g.in[i] + g.pad_end[i]) in_padded = false;
          if (pos < 0 || pos >= g.in[i]) inside = false;
          off += pos * xp.stride[i];
        }
        if (inside) sum += xc[off];
        if (count_include_pad ? in_padded : inside) ++count;
      } while (ref_next_index(k, g.kernel));
      yd[yi++] = static_cast<float>(sum / static_cast<double>(count));
    } while (ref_next_index(o, g.out));
  }
}

void global_pool_f32_ref(const Tensor& x, bool is_max, Tensor& y) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes == 0 ? 0 : x.numel() / planes;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t pl = 0; pl < planes; ++pl) {
    const float* xc = xd + pl * size;
    if (is_max) {
      float best = std::numeric_limits<float>::lowest();
      for (int64_t i = 0; i < size; ++i) best = xc[i] > best ? xc[i] : best;
      yd[pl] = best;
    } else {
      double sum = 0.0;
      for (int64_t i = 0; i < size; ++i) sum += xc[i];
      yd[pl] = static_cast<float>(sum / static_cast<double>(size));
    }
  }
}

namespace {

Result<WindowGeometry> pool_geometry(const KernelContext& ctx) {
  const Tensor& x = *ctx.inputs[0];
  const size_t nd = x.rank() - 2;
  FS_ASSIGN_OR_RETURN(WindowAttrs attrs, parse_window_attrs(ctx.node, nd));
  return window_geometry(ctx.node, attrs,
                         std::vector<int64_t>(x.shape().dims().begin() + 2, x.shape().dims().end()));
}

Status run_max_pool_ref(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(WindowGeometry g, pool_geometry(ctx));
  Tensor* indices = ctx.outputs.size() > 1 ? ctx.outputs[1] : nullptr;
  max_pool_ref(*ctx.inputs[0], g, *ctx.outputs[0], indices, ctx.node.attr_int("storage_order", 0));
  return ok_status();
}

Status run_average_pool_ref(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(WindowGeometry g, pool_geometry(ctx));
  average_pool_f32_ref(*ctx.inputs[0], g, ctx.node.attr_int("count_include_pad", 0) != 0, *ctx.outputs[0]);
  return ok_status();
}

Status run_global_average_pool_ref(const KernelContext& ctx) {
  global_pool_f32_ref(*ctx.inputs[0], false, *ctx.outputs[0]);
  return ok_status();
}

Status run_global_max_pool_ref(const KernelContext& ctx) {
  global_pool_f32_ref(*ctx.inputs[0], true, *ctx.outputs[0]);
  return ok_status();
}

}  // namespace

void register_ref_pool_kernels(KernelRegistry& r) {
  for_each_type<MaxPoolTypes>([&]<typename T>() {
    r.add(KernelDesc{.name = ref_kernel_name("max_pool", DTypeOf<T>::value),
                     .op_type = "MaxPool",
                     .dtype = DTypeOf<T>::value,
                     .run = &run_max_pool_ref});
  });
  r.add(KernelDesc{.name = "average_pool_f32__ref", .op_type = "AveragePool", .dtype = DType::kF32,
                   .run = &run_average_pool_ref});
  r.add(KernelDesc{.name = "global_average_pool_f32__ref", .op_type = "GlobalAveragePool", .dtype = DType::kF32,
                   .run = &run_global_average_pool_ref});
  r.add(KernelDesc{.name = "global_max_pool_f32__ref", .op_type = "GlobalMaxPool", .dtype = DType::kF32,
                   .run = &run_global_max_pool_ref});
}

}  // namespace fastserve
