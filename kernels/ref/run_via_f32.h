// Running a float32 reference kernel on 16-bit float tensors.
//
// Some reference kernels are written for f32 only (Conv's window walks). For
// an f16 / bf16 node, run_via_f32 widens every f16 / bf16 input into an f32
// copy (exact), runs the f32 kernel into f32 outputs, and rounds each f16 /
// bf16 output back once: the 16-bit result of the f32 computation, which is
// what "compute in float, store in half" means, and within one 16-bit ulp of
// the exactly rounded result. Inputs of other types (int64 shapes, ...) are
// passed as they are. It allocates (the copies), as reference kernels may.
#pragma once

#include "runtime/kernel.h"

namespace fastserve {

Status run_via_f32(const KernelContext& ctx, RunFn f32_run);

// The RunFn for a KernelDesc: run_via_f32_fn<&run_conv_ref>.
template <RunFn kF32Run>
Status run_via_f32_fn(const KernelContext& ctx) {
  return run_via_f32(ctx, kF32Run);
}

}  // namespace fastserve
