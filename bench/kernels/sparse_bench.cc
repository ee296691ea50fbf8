// Sparse vs dense: the sparse kernels (kernels/cpu/sparse/, conv_sparse.cc)
// against the dense kernel the registry picks for the same layer with an
// unpruned weight (Winograd, im2col or 1x1 GEMM for convs; the GEMM for
// Gemm), at weight sparsities 0.5 .. 0.95 (random positions), batch 1, on
// the conv layers of ResNet-18 and the Fashion-MNIST CNN and the Gemm
// layers of both. This is where kSparseConvMinSparsity and
// kSparseGemmMinSparsity (sparse_matrix.h) come from: the lowest sparsity
// at which sparse beats dense on these layers.
//
//   build/release/bench/fastserve_bench --benchmark_filter=sparse/ --benchmark_repetitions=7
//       --benchmark_report_aggregates_only=true
//
// GFLOP/s counts the dense FLOPs (2 * M * N * K), so sparse reports
// "effective" GFLOP/s and the ratio of the two is the speedup.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "bench/kernels/kernel_bench_util.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct Layer {
  const char* label;
  const char* op;                      // Conv or Gemm
  int64_t c, m, h, w, k, stride, pad;  // Gemm: c = K, m = N, h = batch rows
};

const std::vector<Layer>& layers() {
  static const std::vector<Layer> l = {
      {"r18_3x3_64_56", "Conv", 64, 64, 56, 56, 3, 1, 1},
      {"r18_3x3_128_28", "Conv", 128, 128, 28, 28, 3, 1, 1},
      {"r18_3x3_256_14", "Conv", 256, 256, 14, 14, 3, 1, 1},
      {"r18_3x3_512_7", "Conv", 512, 512, 7, 7, 3, 1, 1},
      {"r18_3x3s2_64_128_56", "Conv", 64, 128, 56, 56, 3, 2, 1},
      {"fmnist_3x3_16_32_14", "Conv", 16, 32, 14, 14, 3, 1, 1},
      {"fmnist_gemm_1568_64", "Gemm", 1568, 64, 1, 0, 0, 0, 0},
      {"r18_gemm_512_1000", "Gemm", 512, 1000, 1, 0, 0, 0, 0},
  };
  return l;
}

Tensor random_tensor(Shape shape, std::mt19937& rng, double sparsity) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::bernoulli_distribution zero(sparsity);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = zero(rng) ? 0.f : dist(rng);
  return t;
}

// kind: "dense" (what the registry picks with an unpruned weight) or
// "sparse" (the sparse descriptor of the best ISA), run on the pruned weight.
void bm_layer(benchmark::State& state, Layer l, std::string kind, double sparsity, int threads) {
  std::mt19937 rng(4321);
  const bool conv = std::string(l.op) == "Conv";
  std::vector<Tensor> inputs;
  std::vector<Attribute> attrs;
  Shape w_shape;
  if (conv) {
    inputs.push_back(random_tensor({1, l.c, l.h, l.w}, rng, 0));
    w_shape = Shape{l.m, l.c, l.k, l.k};
    attrs = {bench::ints_attr("pads", {l.pad, l.pad, l.pad, l.pad}), bench::ints_attr("strides", {l.stride, l.stride})};
  } else {
    inputs.push_back(random_tensor({l.h, l.c}, rng, 0));
    w_shape = Shape{l.m, l.c};
    attrs = {bench::int_attr("transB", 1)};
  }
  inputs.push_back(random_tensor(w_shape, rng, sparsity));
  inputs.push_back(random_tensor({l.m}, rng, 0));
  const Tensor unpruned = random_tensor(w_shape, rng, 0);
  std::vector<TensorInfo> ins;
  for (const Tensor& t : inputs) ins.push_back(TensorInfo::of(t));
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("n", l.op, "", 17, &attrs, ins, outs);
  if (Status st = find_op_schema(l.op, "")->infer(view, outs); !st.ok()) {
    state.SkipWithError(st.to_string().c_str());
    return;
  }
  const KernelDesc* desc = nullptr;
  if (kind == "dense") {
    std::vector<TensorInfo> dense_ins = ins;
    dense_ins[1] = TensorInfo::of(unpruned);
    const NodeView dense_view("n", l.op, "", 17, &attrs, dense_ins, outs);
    auto k = KernelRegistry::global().select(dense_view, Device::kCpu, host_isa());
    if (!k.ok()) {
      state.SkipWithError(k.status().to_string().c_str());
      return;
    }
    desc = *k;
  } else {
    const std::string isa = host_isa() >= Isa::kAvx512 ? "avx512"
                            : host_isa() >= Isa::kAvx2 ? "avx2"
                                                       : "portable";
    const std::string name = std::string(conv ? "conv" : "gemm") + "_f32_sparse__" + isa;
    desc = bench::find_kernel(name);
  }
  if (desc == nullptr) {
    state.SkipWithError("no kernel");
    return;
  }
  state.SetLabel(desc->name);
  Tensor y = Tensor::empty(DType::kF32, outs[0].shape);
  if (!bench::time_kernel(state, *desc, view, {&inputs[0], &inputs[1], &inputs[2]}, y, threads)) return;
  const double k_dim = conv ? static_cast<double>(l.c * l.k * l.k) : static_cast<double>(l.c);
  const double flops = 2.0 * static_cast<double>(y.numel()) * k_dim;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

int register_all() {
  for (const Layer& l : layers()) {
    for (const char* kind : {"dense", "sparse"}) {
      for (double s : {0.5, 0.6, 0.7, 0.8, 0.9, 0.95}) {
        if (std::string(kind) == "dense" && s != 0.9) continue;  // dense time does not depend on the zeros
        for (int threads : {1, 2}) {
          const std::string bm = std::string("sparse/") + l.label + "/" + kind + "/" +
                                 std::to_string(static_cast<int>(s * 100 + 0.5)) +
                                 "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(bm.c_str(), bm_layer, l, std::string(kind), s, threads)
              ->Unit(benchmark::kMillisecond)
              ->UseRealTime();
        }
      }
    }
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace fastserve
