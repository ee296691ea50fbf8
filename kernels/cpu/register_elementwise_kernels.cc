// Registers the optimized CPU kernels of the elementwise family; called from
// register_kernels.cc. Each ISA variant is its own descriptor (required_isa,
// priority: scalar 10 < avx2 20 < avx512 30); the registry drops those the
// host cannot run, and the reference kernels (priority 0) stay the fallback.
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_cpu_binary_kernels(KernelRegistry& r);   // binary/binary.cc: Add Sub Mul Div
void register_cpu_unary_kernels(KernelRegistry& r);    // unary/unary.cc: activations
void register_cpu_softmax_kernels(KernelRegistry& r);  // softmax/softmax.cc: Softmax LogSoftmax
void register_cpu_reduce_kernels(KernelRegistry& r);   // reduce/reduce_mean.cc: ReduceMean
void register_cpu_layer_norm_kernels(KernelRegistry& r);  // layer_norm/layer_norm.cc: LayerNormalization
void register_cpu_where_kernels(KernelRegistry& r);       // where/where.cc: Where

void register_cpu_elementwise_kernels(KernelRegistry& r) {
  register_cpu_binary_kernels(r);
  register_cpu_unary_kernels(r);
  register_cpu_softmax_kernels(r);
  register_cpu_reduce_kernels(r);
  register_cpu_layer_norm_kernels(r);
  register_cpu_where_kernels(r);
}

}  // namespace fastserve
