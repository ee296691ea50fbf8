// matmul_{f32,f64,f16,bf16}__ref: reference MatMul with numpy.matmul
// semantics: 1-D operands are promoted (A to a row, B to a column) and the
// added dim is dropped; the batch dims broadcast. Dot products accumulate in
// double and round once to the output type (compute_type.h).
// fused_matmul_f32__ref: fastserve.FusedMatMul, the f32 product, + bias per
// column, then the activation.
#include <string>
#include <vector>

#include "graph/fused_activation.h"
#include "kernels/ref/compute_type.h"
#include "kernels/ref/nn_ref.h"
#include "kernels/ref/typed_registration.h"

namespace fastserve {
namespace {

using MatMulTypes = RefFloatTypes;

template <typename T>
void matmul_typed(const Tensor& a, const Tensor& b, Tensor& y) {
  std::vector<int64_t> ad = a.shape().dims(), bd = b.shape().dims();
  if (ad.size() == 1) ad.insert(ad.begin(), 1);
  if (bd.size() == 1) bd.push_back(1);
  const int64_t m = ad[ad.size() - 2], k = ad.back(), n = bd.back();
  // Batch dims, right-aligned to the longer list, 1 where absent.
  const size_t rank = std::max(ad.size(), bd.size()) - 2;
  std::vector<int64_t> a_batch(rank, 1), b_batch(rank, 1), out_batch(rank, 1);
  for (size_t i = 0; i + 2 < ad.size(); ++i) a_batch[rank - (ad.size() - 2) + i] = ad[i];
  for (size_t i = 0; i + 2 < bd.size(); ++i) b_batch[rank - (bd.size() - 2) + i] = bd[i];
  for (size_t i = 0; i < rank; ++i) out_batch[i] = std::max(a_batch[i], b_batch[i]);
  const T* ap = a.data<T>();
  const T* bp = b.data<T>();
  T* yp = y.data<T>();
  std::vector<int64_t> idx(rank, 0);
  int64_t yoff = 0;
  bool any = true;
  for (int64_t d : out_batch) any = any && d > 0;
  if (!any) return;
  do {
    // Flat batch offsets of A and B, skipping broadcast (size-1) dims.
    int64_t aoff = 0, boff = 0;
    for (size_t i = 0; i < rank; ++i) {
      aoff = aoff * a_batch[i] + (a_batch[i] == 1 ? 0 : idx[i]);
      boff = boff * b_batch[i] + (b_batch[i] == 1 ? 0 : idx[i]);
    }
    const T* am = ap + aoff * m * k;
    const T* bm = bp + boff * k * n;
    for (int64_t i = 0; i < m; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0.0;
        for (int64_t p = 0; p < k; ++p) {
          acc +=
              static_cast<double>(to_compute(am[i * k + p])) * static_cast<double>(to_compute(bm[p * n + j]));
        }
        yp[yoff + i * n + j] = from_compute<T>(acc);
      }
    }
    yoff += m * n;
  } while (ref_next_index(idx, out_batch));
}

// Both operands of input 0's type.
bool same_input_dtypes(const NodeView& node) { return node.input_dtype(0) == node.input_dtype(1); }

}  // namespace

void matmul_ref(const Tensor& a, const Tensor& b, Tensor& y) {
  const bool known = visit_dtype<MatMulTypes>(
      a.dtype(),
      [&]<typename T>() {
        matmul_typed<T>(a, b, y);
        return true;
      },
      [] { return false; });
  FS_CHECK_MSG(known, dtype_name(a.dtype()));
}

namespace {

Status run_matmul_ref(const KernelContext& ctx) {
  matmul_ref(*ctx.inputs[0], *ctx.inputs[1], *ctx.outputs[0]);
  return ok_status();
}

Status run_fused_matmul_ref(const KernelContext& ctx) {
  FS_ASSIGN_OR_RETURN(FusedActivation act, parse_fused_activation(ctx.node));
  Tensor& y = *ctx.outputs[0];
  matmul_ref(*ctx.inputs[0], *ctx.inputs[1], y);
  float* yd = y.data<float>();
  const int64_t total = y.numel();
  if (ctx.inputs.size() > 2 && ctx.inputs[2] != nullptr) {
    const Tensor& bias = *ctx.inputs[2];
    const int64_t n = y.rank() == 0 ? 1 : y.dim(static_cast<int>(y.rank()) - 1);
    if (bias.dtype() != DType::kF32 || bias.rank() != 1 || bias.dim(0) != n || ctx.inputs[1]->rank() < 2) {
      return ctx.node.error(StatusCode::kInvalidArgument,
                            "bias is " + bias.to_string() + ", want float32 [" + std::to_string(n) + "]");
    }
    const float* bd = bias.data<float>();
    for (int64_t i = 0; i < total; ++i) yd[i] += bd[i % n];
  }
  apply_fused_activation(act, yd, total);
  return ok_status();
}

}  // namespace

void register_ref_matmul_kernels(KernelRegistry& r) {
  for_each_type<MatMulTypes>([&]<typename T>() {
    r.add(KernelDesc{.name = ref_kernel_name("matmul", DTypeOf<T>::value),
                     .op_type = "MatMul",
                     .dtype = DTypeOf<T>::value,
                     .accepts = &same_input_dtypes,
                     .run = &run_matmul_ref});
  });
  r.add(KernelDesc{.name = "fused_matmul_f32__ref",
                   .op_type = "FusedMatMul",
                   .domain = "fastserve",
                   .dtype = DType::kF32,
                   .run = &run_fused_matmul_ref});
}

}  // namespace fastserve
