// 2:4 vs dense vs CSR at small batch: the 2:4 kernel (gemm_f32_2_4__*,
// kernels/cpu/sparse/nm24_matmul.cc) on a 2:4 weight (exactly 2 of every 4
// along K kept, random positions) against the dense kernel the registry
// picks for the same Gemm unpruned, and the CSR kernel (gemm_f32_sparse__*)
// on a 50%-random-sparse weight, for Gemm (transB) layers of real models at
// M = 1 .. 32 rows (64 and 128 too, to see where the gain ends), 1 and 2
// threads. This is where nm24_max_rows (nm24_matrix.h) comes from: the
// largest M at which 2:4 beats dense on these shapes, per ISA (run with
// FASTSERVE_MAX_ISA=avx2 for the AVX2 kernels; at scalar there is no 2:4
// descriptor and those runs skip).
//
//   build/release/bench/fastserve_bench --benchmark_filter=sparse24/ --benchmark_repetitions=7
//       --benchmark_report_aggregates_only=true --benchmark_min_time=0.1
//
// The descriptors are prepared and run directly (their accepts() is not
// asked), so the 2:4 and CSR kernels are timed at every M. GFLOP/s counts
// the dense FLOPs (2 * M * N * K); GB/s the bytes of the weight each kernel
// streams per run (dense 4 per weight, 2:4 9 per 4, CSR 8 per nonzero).
#include <benchmark/benchmark.h>

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

struct Fc {
  const char* label;
  int64_t k, n;
};

const std::vector<Fc>& fcs() {
  static const std::vector<Fc> l = {
      {"r18_fc_512_1000", 512, 1000},   {"fmnist_fc_1568_64", 1568, 64},  {"bert_fc1_768_3072", 768, 3072},
      {"bert_fc2_3072_768", 3072, 768}, {"gpt2_qkv_768_2304", 768, 2304}, {"fc_4096_4096", 4096, 4096},
  };
  return l;
}

// W^T [n x k]: "dense" random, "2_4" two random kept of every 4, "csr50"
// half the values zero at random.
Tensor weight(const Fc& fc, const std::string& kind, std::mt19937& rng) {
  Tensor t = Tensor::empty(DType::kF32, Shape{fc.n, fc.k});
  std::uniform_real_distribution<float> dist(0.1f, 1.f);
  std::bernoulli_distribution zero(0.5);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = kind == "csr50" && zero(rng) ? 0.f : dist(rng);
  if (kind == "2_4") {
    std::uniform_int_distribution<int> pick(0, 5);
    static constexpr int kPairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
    for (int64_t f = 0; f < fc.n; ++f) {
      for (int64_t g = 0; g < fc.k; g += 4) {
        const int* keep = kPairs[pick(rng)];
        for (int t4 = 0; t4 < 4; ++t4) {
          if (t4 != keep[0] && t4 != keep[1]) d[f * fc.k + g + t4] = 0.f;
        }
      }
    }
  }
  return t;
}

std::string isa_tag() {
  return host_isa() >= Isa::kAvx512 ? "avx512" : host_isa() >= Isa::kAvx2 ? "avx2" : "portable";
}

void bm_fc(benchmark::State& state, Fc fc, std::string kind, int64_t m, int threads) {
  std::mt19937 rng(2424);
  std::vector<Attribute> attrs(1);
  attrs[0].name = "transB";
  attrs[0].kind = Attribute::Kind::kInt;
  attrs[0].i = 1;
  const Tensor a = [&] {
    Tensor t = Tensor::empty(DType::kF32, Shape{m, fc.k});
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
    return t;
  }();
  const Tensor w = weight(fc, kind, rng);
  Tensor bias = Tensor::empty(DType::kF32, Shape{fc.n});
  for (int64_t i = 0; i < fc.n; ++i) bias.data<float>()[i] = 0.01f * static_cast<float>(i % 7);
  std::vector<TensorInfo> ins = {TensorInfo::of(a), TensorInfo::of(w), TensorInfo::of(bias)};
  ins[0].value = nullptr;  // A is an activation
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("fc", "Gemm", "", 17, &attrs, ins, outs);
  if (Status st = find_op_schema("Gemm", "")->infer(view, outs); !st.ok()) {
    state.SkipWithError(st.to_string().c_str());
    return;
  }
  const KernelDesc* desc = nullptr;
  if (kind == "dense") {
    auto k = KernelRegistry::global().select(view, Device::kCpu, host_isa());
    if (!k.ok()) {
      state.SkipWithError(k.status().to_string().c_str());
      return;
    }
    desc = *k;
  } else {
    const std::string name = (kind == "2_4" ? "gemm_f32_2_4__" : "gemm_f32_sparse__") + isa_tag();
    desc = bench::find_kernel(name);
  }
  if (desc == nullptr) {
    state.SkipWithError("no kernel");
    return;
  }
  state.SetLabel(desc->name);
  Tensor y = Tensor::empty(DType::kF32, outs[0].shape);
  if (!bench::time_kernel(state, *desc, view, {&a, &w, &bias}, y, threads)) return;
  const double weights = static_cast<double>(fc.n * fc.k);
  const double bytes = kind == "dense" ? 4 * weights : kind == "2_4" ? 9.0 / 4 * weights : 8 * 0.5 * weights;
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * static_cast<double>(m) * weights,
                         benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  state.counters["GB/s"] =
      benchmark::Counter(bytes, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

int register_all() {
  for (const Fc& fc : fcs()) {
    for (int64_t m : {1, 2, 4, 8, 16, 32, 64, 128}) {
      for (const char* kind : {"dense", "2_4", "csr50"}) {
        for (int threads : {1, 2}) {
          const std::string bm = std::string("sparse24/") + fc.label + "/m" + std::to_string(m) + "/" + kind +
                                 "/threads:" + std::to_string(threads);
          benchmark::RegisterBenchmark(bm.c_str(), bm_fc, fc, std::string(kind), m, threads)
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
