// The machine's FP32 FMA peak, measured: the yardstick for "GEMM at N% of
// peak" in docs/benchmarks.md (gemm_table.py divides by it). Each thread runs
// independent FMA chains on registers only (no memory traffic), enough
// chains to cover the FMA latency of every recent x86 core (12 x 4-cycle
// latency over 2 pipes needs 8; 12 leaves slack), so the loop is bound by
// FMA throughput alone. Per ISA the host runs: AVX-512 (16 lanes), AVX2+FMA
// (8 lanes). Threads: 1 and 2 (one chain set per thread, on the bench's
// own std::threads, so no pool overhead is counted).
#include <benchmark/benchmark.h>

#include <immintrin.h>

#include <atomic>
#include <cstdint>
#include <thread>
#include <vector>

#include "core/cpu_features.h"

namespace fastserve {
namespace {

constexpr int64_t kIters = int64_t{1} << 22;  // per thread per call

#if defined(__x86_64__) || defined(_M_X64)
__attribute__((target("avx2,fma"), noinline)) float fma_chains_avx2(int64_t iters) {
  __m256 acc[12];
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
  }
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  return _mm256_cvtss_f32(s);
}

__attribute__((target("avx512f"), noinline)) float fma_chains_avx512(int64_t iters) {
  __m512 acc[12];
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
  for (int i = 0; i < 12; ++i) acc[i] = _mm512_set1_ps(static_cast<float>(i));
  for (int64_t it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm512_add_ps(s, acc[i]);
  alignas(64) float lanes[16];
  _mm512_store_ps(lanes, s);
  float r = 0.f;
  for (float v : lanes) r += v;
  return r;
}
#endif

using ChainFn = float (*)(int64_t);

void bm_fma_peak(benchmark::State& state, ChainFn fn, int lanes, Isa need) {
  if (host_isa() < need) {
    state.SkipWithError("the host lacks this ISA");
    return;
  }
  const int threads = static_cast<int>(state.range(0));
  std::atomic<float> sink{0.f};
  for (auto _ : state) {
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back([&] { sink.store(fn(kIters)); });
    benchmark::DoNotOptimize(fn(kIters));
    for (std::thread& th : pool) th.join();
  }
  const double flops = 2.0 * 12 * lanes * static_cast<double>(kIters) * threads;
  state.counters["GFLOP/s"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                                 benchmark::Counter::kIsRate);
  benchmark::DoNotOptimize(sink.load());
}

#if defined(__x86_64__) || defined(_M_X64)
BENCHMARK_CAPTURE(bm_fma_peak, avx2, &fma_chains_avx2, 8, Isa::kAvx2)
    ->Name("fma_peak/avx2")->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(bm_fma_peak, avx512, &fma_chains_avx512, 16, Isa::kAvx512)
    ->Name("fma_peak/avx512")->Arg(1)->Arg(2)->ArgName("threads")->UseRealTime()->Unit(benchmark::kMillisecond);
#endif

}  // namespace
}  // namespace fastserve
