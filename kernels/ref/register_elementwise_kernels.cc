// Registers the elementwise family's reference kernels (kernels/ref/
// {binary,unary,softmax,cast,reduce,argmax,identity,dropout,math_unary,activation,
// compare,where,mod,bitshift,variadic}.cc); called from register_kernels.cc.
#include "kernels/ref/elementwise_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_ref_elementwise_kernels(KernelRegistry& r) {
  register_ref_binary_kernels(r);
  register_ref_unary_kernels(r);
  register_ref_softmax_kernels(r);
  register_ref_cast_kernels(r);
  register_ref_reduce_kernels(r);
  register_ref_argmax_kernels(r);
  register_ref_identity_kernels(r);
  register_ref_dropout_kernels(r);
  register_ref_math_unary_kernels(r);
  register_ref_activation_kernels(r);
  register_ref_compare_kernels(r);
  register_ref_where_kernels(r);
  register_ref_mod_kernels(r);
  register_ref_bitshift_kernels(r);
  register_ref_variadic_kernels(r);
}

}  // namespace fastserve
