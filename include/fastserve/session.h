// Session: a model compiled for a device, ready to run.
//
// Session::create verifies the graph, runs the graph passes of the
// optimization level on a private copy of it (see fastserve/pass_report.h:
// constant folding, BatchNorm folding, Conv+activation fusion; the copy
// shares the initializers' buffers, so weights are not duplicated), infers
// shapes, chooses a kernel for every node (error listing every node no kernel covers, all at once) and
// runs each kernel's prepare() (attribute parsing, weight prepacking). run()
// is const and may be called from several threads at once: per-run tensors
// live in the call, prepared state is read-only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/pass_report.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct SessionOptions {
  int num_threads = 0;        // threads for intra-op parallelism; 0 = hardware concurrency
  std::string device = "cpu"; // "cpu", "cuda", "cuda:N"
  std::string max_isa;        // cap the kernel ISA: "scalar", "avx2", "avx512", "avx512vnni"; "" = host
  // Graph passes to run before compiling, 0..3 (fastserve/pass_report.h
  // lists what each level does): 0 runs the graph as the file describes it,
  // 3 runs everything. Outputs agree across levels to float rounding.
  int optimization_level = 3;
  // Which kernel provider runs the nodes:
  //   "auto"      our kernels (for each node the highest-priority kernel that
  //               takes it, as always); the default
  //   "fastserve" our kernels only, never oneDNN
  //   "onednn"    oneDNN's primitives for every node a oneDNN kernel accepts
  //               (Conv, Gemm, MatMul, Relu, pools, BatchNormalization, f32),
  //               our kernels for the others: a baseline to compare against.
  //               kUnsupported when this build has no oneDNN.
  // Any other value: kInvalidArgument at Session::create.
  std::string kernels = "auto";
};

struct NamedTensor {
  std::string name;
  Tensor tensor;
};

struct IoInfo {
  std::string name;
  DType dtype = DType::kUndefined;
  bool shape_known = false;
  Shape shape;                          // kUnknownDim for symbolic dims
  std::vector<std::string> dim_params;  // their names, "" where static
};

// Intermediate activation memory of the last planned run: intermediates
// share one arena laid out from their lifetimes (0 before any run).
struct MemoryStats {
  size_t planned_activation_bytes = 0;  // the arena: peak of what is alive at once
  size_t naive_activation_bytes = 0;    // the same tensors each in its own buffer
};

struct KernelChoice {
  std::string node_name;
  std::string op_type;
  std::string kernel_name;
  std::string provider;  // "fastserve" or "onednn"
};

// Time spent in one node's kernel, summed over the profiled runs.
struct NodeProfile {
  int32_t node_index = -1;  // index into model().graph.nodes
  std::string node_name;
  std::string op_type;
  std::string kernel_name;
  // Concrete shapes of the last profiled run, one per Node::inputs / outputs
  // entry (an empty Shape where an optional input or output is absent).
  std::vector<Shape> input_shapes, output_shapes;
  double total_ms = 0;  // wall time of kernel run() calls only (not shape inference or allocation)
  int64_t calls = 0;
};

// Per-node timings gathered by Session::run(inputs, &profile). Pass the same
// RunProfile to several runs of one session to accumulate; never share one
// between concurrent runs. Profiling adds a clock read around each kernel;
// runs without a profile pay only a null check per node.
struct RunProfile {
  std::vector<NodeProfile> nodes;  // execution order; filled by the first profiled run
  int64_t runs = 0;                // profiled runs accumulated
  double run_ms = 0;               // their summed wall time (kernels plus everything around them)
};

class Session {
 public:
  static Result<std::unique_ptr<Session>> create(std::shared_ptr<const Model> model,
                                                 const SessionOptions& options = {});
  ~Session();

  // Runs the model. Every graph input must be given once, with its declared
  // dtype and a shape matching its static dims. Returns the graph outputs in
  // graph order.
  Result<std::vector<NamedTensor>> run(std::span<const NamedTensor> inputs) const;
  // The same, adding this run's per-node kernel times to `*profile` (see
  // RunProfile; null profiles nothing). A profile filled by another session
  // is reset first.
  Result<std::vector<NamedTensor>> run(std::span<const NamedTensor> inputs, RunProfile* profile) const;

  const std::vector<IoInfo>& inputs() const;
  const std::vector<IoInfo>& outputs() const;
  // The kernel chosen for each node, in execution order.
  const std::vector<KernelChoice>& kernel_choices() const;
  // The model as compiled: after the graph passes, with shapes inferred
  // (fused nodes such as fastserve.FusedConv appear here).
  const Model& model() const;
  // What each graph pass did (empty runs at level 0).
  const PassReport& pass_report() const;
  int num_threads() const;
  // The instruction set the kernels were chosen for ("scalar", "avx2", ...):
  // the host's, capped by SessionOptions::max_isa and FASTSERVE_MAX_ISA.
  const char* isa() const;
  MemoryStats memory_stats() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastserve
