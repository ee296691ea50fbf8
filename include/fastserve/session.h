// Session: a model compiled for a device, ready to run.
//
// Session::create verifies the graph, infers shapes, chooses a kernel for
// every node (error listing every node no kernel covers, all at once) and
// runs each kernel's prepare() (attribute parsing, weight prepacking). run()
// is const and may be called from several threads at once: per-run tensors
// live in the call, prepared state is read-only.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve {

struct SessionOptions {
  int num_threads = 0;        // threads for intra-op parallelism; 0 = hardware concurrency
  std::string device = "cpu"; // "cpu", "cuda", "cuda:N"
  std::string max_isa;        // cap the kernel ISA: "scalar", "avx2", "avx512", "avx512vnni"; "" = host
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

struct KernelChoice {
  std::string node_name;
  std::string op_type;
  std::string kernel_name;
  std::string provider;  // "fastserve" or "onednn"
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

  const std::vector<IoInfo>& inputs() const;
  const std::vector<IoInfo>& outputs() const;
  // The kernel chosen for each node, in execution order.
  const std::vector<KernelChoice>& kernel_choices() const;
  const Model& model() const;
  int num_threads() const;

 private:
  struct Impl;
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fastserve
