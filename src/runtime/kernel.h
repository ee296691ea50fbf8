// The kernel interface: a kernel is a small record of plain functions.
//
// Each op file registers its descriptors with a plain function
// (register_<op>_kernels) called from kernels/*/register_kernels.cc; there
// are no self-registering static objects. At session compile, for each node
// the registry keeps descriptors whose key (op, domain, opset range, device,
// dtype) matches, drops those the host ISA cannot run and those whose
// accepts() fails, and takes the highest priority. The reference kernel
// (priority 0) is always the last resort. Descriptors also name their
// provider: our own kernels are "fastserve"; an optional third-party library
// (oneDNN, kernels/onednn/) registers under its own name, and a session only
// draws from the providers its options list (kernel_registry.h).
// prepare() runs once per node at compile (parse attributes, prepack
// weights); run() is called per inference and does no lookups and no
// allocation beyond what it was given.
//
// This header sees only core types: kernels never see the graph.
#pragma once

#include <memory>
#include <span>

#include "core/cpu_features.h"
#include "core/device.h"
#include "core/thread_pool.h"
#include "fastserve/node_view.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

inline constexpr int kMaxOpset = 1000;

// Kernel providers: who implements a descriptor.
inline constexpr const char* kProviderFastServe = "fastserve";  // kernels/ref, kernels/cpu, kernels/cuda
inline constexpr const char* kProviderOneDnn = "onednn";        // kernels/onednn (when built with oneDNN)

// What prepare() may set up: kernel-private state shared (read-only) by all
// runs of the node, from any thread.
struct PrepareContext {
  Isa isa = Isa::kScalar;  // the host level the session runs at
  int num_threads = 1;
  std::shared_ptr<void> state;  // set by prepare; passed back to run as `state`
  // Bit i set: prepare() copied constant input i into `state` (packed it)
  // and run() never reads that tensor's data, only its shape. When every
  // reader of a weight says so, the session drops the original
  // (compile_plan.cc), so the packed copy is the only one resident.
  uint32_t packed_inputs = 0;
};

struct KernelContext {
  const NodeView& node;                    // run-time view: concrete shapes, input values
  std::span<const Tensor* const> inputs;   // nullptr for omitted optional inputs
  std::span<Tensor* const> outputs;        // allocated with inferred dtype/shape
  const void* state;                       // what prepare() stored, or null
  ThreadPool* pool;                        // never null; may have 1 thread

  template <typename T> const T& state_as() const { return *static_cast<const T*>(state); }
};

using AcceptsFn = bool (*)(const NodeView& node);
using PrepareFn = Status (*)(const NodeView& node, PrepareContext& ctx);
using RunFn = Status (*)(const KernelContext& ctx);

struct KernelDesc {
  const char* name;              // e.g. "gemm_f32__avx512_16x32"
  const char* provider = kProviderFastServe;  // who implements it (see kProvider*)
  const char* op_type;           // ONNX op type, e.g. "Conv"
  const char* domain = "";       // "" = default ONNX domain
  int since_version = 1;         // opset range [since, until], inclusive
  int until_version = kMaxOpset;
  Device device = Device::kCpu;
  DType dtype = DType::kF32;     // type of input 0; kUndefined = any type (data movement ops)
  Isa required_isa = Isa::kScalar;
  int priority = 0;              // 0 = reference; higher wins
  AcceptsFn accepts = nullptr;   // null = accepts every node of the key
  PrepareFn prepare = nullptr;   // null = stateless
  RunFn run = nullptr;
  // The index of an input whose element i the kernel reads only before it
  // writes element i of output 0, on every path, so the memory planner may
  // give output 0 that input's buffer when nothing reads it afterwards
  // (FusedConv's residual Z: y = act(conv + b + z) in place). -1: none.
  int output0_may_alias_input = -1;
};

}  // namespace fastserve
