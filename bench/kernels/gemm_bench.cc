// FP32 GEMM: every microkernel the host can run, on square shapes and on
// shapes from real models (ResNet-50 conv as GEMM, BERT projections, the
// batch-1 classifier). Reports GFLOP/s. Peer comparisons (oneDNN, Eigen)
// arrive with the CPU-speed issue.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/cpu/gemm/gemm.h"

namespace fastserve {
namespace {

void bm_gemm(benchmark::State& state, const GemmUkernel* uk, int threads) {
  const int64_t m = state.range(0), n = state.range(1), k = state.range(2);
  if (static_cast<int>(uk->isa) > static_cast<int>(host_isa())) {
    state.SkipWithError("host ISA too low for this microkernel");
    return;
  }
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  std::vector<float> a(m * k), b(k * n), c(m * n);
  for (auto& v : a) v = dist(rng);
  for (auto& v : b) v = dist(rng);
  ThreadPool pool(threads);
  AlignedFloats b_packed = pack_b(*uk, k, n, GemmOperand{b.data(), n, false}, &pool);
  GemmArgs args;
  args.m = m; args.n = n; args.k = k;
  args.a = GemmOperand{a.data(), k, false};
  args.b_packed = b_packed.data();
  args.c = c.data();
  args.ldc = n;
  for (auto _ : state) {
    gemm_f32(*uk, args, &pool);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * m * n * k, benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
}

void shapes(benchmark::internal::Benchmark* b) {
  for (int s : {256, 512, 1024}) b->Args({s, s, s});
  b->Args({3136, 64, 576});  // ResNet-50 conv2_x 3x3 as im2col GEMM
  b->Args({128, 384, 384});  // encoder projection, seq 128, hidden 384
  b->Args({64, 1000, 2048}); // ResNet-50 classifier at batch 64
  b->Args({1, 4096, 4096});  // batch-1 FC: memory bound
  b->Unit(benchmark::kMillisecond)->UseRealTime();
}

int register_all() {
  for (const GemmUkernel* uk : gemm_ukernels()) {
    for (int threads : {1, 2}) {
      std::string name = std::string("gemm/") + uk->name + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(name.c_str(), bm_gemm, uk, threads)->Apply(shapes);
    }
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace fastserve
