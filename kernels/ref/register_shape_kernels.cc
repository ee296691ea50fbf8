// Registers the data-movement family's reference kernels (kernels/ref/
// {reshape,transpose,concat,split,slice,gather,shape,constant,pad,
// constant_of_shape,expand,range,tile,trilu,cumsum,topk,gather_elements,
// gather_nd,one_hot,depth_to_space,eye_like}.cc);
// called from register_kernels.cc.
#include "kernels/ref/shape_ref.h"
#include "runtime/kernel_registry.h"

namespace fastserve {

void register_ref_shape_kernels(KernelRegistry& r) {
  register_ref_reshape_kernels(r);
  register_ref_transpose_kernels(r);
  register_ref_concat_kernels(r);
  register_ref_split_kernels(r);
  register_ref_slice_kernels(r);
  register_ref_gather_kernels(r);
  register_ref_shape_op_kernels(r);
  register_ref_constant_kernels(r);
  register_ref_pad_kernels(r);
  register_ref_constant_of_shape_kernels(r);
  register_ref_expand_kernels(r);
  register_ref_range_kernels(r);
  register_ref_tile_kernels(r);
  register_ref_trilu_kernels(r);
  register_ref_cumsum_kernels(r);
  register_ref_topk_kernels(r);
  register_ref_gather_elements_kernels(r);
  register_ref_gather_nd_kernels(r);
  register_ref_one_hot_kernels(r);
  register_ref_depth_to_space_kernels(r);
  register_ref_eye_like_kernels(r);
}

}  // namespace fastserve
