// INT8 GEMM, ours against oneDNN's dnnl_gemm_u8s8s32: C[int32] = A[u8] x B[s8]
// with an A zero point of 128 (the asymmetric activations of a static or
// dynamic quantization) and B symmetric, on squares and on BERT-base / ResNet
// shapes, with 1 and 2 threads. Counters: GOPS (2 ops per multiply-add).
//   ours    qgemm_u8s8s32 with B packed once (as a session packs weights);
//           A is packed inside each call, as it is at run time.
//   onednn  dnnl_gemm_u8s8s32 (packs both inside each call), OpenMP threads.
#include <benchmark/benchmark.h>

#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/cpu/qgemm/qgemm.h"

#ifdef FASTSERVE_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef FASTSERVE_BENCH_OPENMP
#include <omp.h>
#endif

namespace fastserve {
namespace {

struct QShape {
  int64_t m, n, k;
};

const QShape kQShapes[] = {
    {512, 512, 512},  {1024, 1024, 1024}, {2048, 2048, 2048},
    {128, 768, 768},  // BERT-base projection at seq 128
    {128, 3072, 768}, // BERT-base FC1
    {128, 768, 3072}, // BERT-base FC2
    {3136, 64, 576},  // ResNet-50 conv2_x 3x3 as im2row GEMM
};

enum class QImpl { kOurs, kOneDnn };

void bm_qgemm(benchmark::State& state, QImpl impl, int threads, QShape s) {
  std::mt19937 rng(99);
  std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127);
  std::vector<uint8_t> a(static_cast<size_t>(s.m * s.k));
  std::vector<int8_t> b(static_cast<size_t>(s.k * s.n));
  std::vector<int32_t> c(static_cast<size_t>(s.m * s.n));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : b) v = static_cast<int8_t>(s8(rng));
  ThreadPool pool(threads);
  const QGemmUkernel& uk = qgemm_ukernel_for_isa(host_isa());
  QPackedB packed = qgemm_pack_b(b.data(), s.k, s.n, s.n, false, &pool);
  QGemmArgs args;
  args.m = s.m;
  args.n = s.n;
  args.k = s.k;
  args.a = a.data();
  args.lda = s.k;
  args.a_zero_point = 128;
  args.b = &packed;
  args.c = c.data();
  args.ldc = s.n;
#ifdef FASTSERVE_BENCH_OPENMP
  omp_set_num_threads(threads);
#endif
  for (auto _ : state) {
    if (impl == QImpl::kOurs) {
      qgemm_u8s8s32(uk, args, &pool);
    } else {
#ifdef FASTSERVE_BENCH_ONEDNN
      const int32_t co = 0;
      if (dnnl_gemm_u8s8s32('N', 'N', 'F', s.m, s.n, s.k, 1.f, a.data(), s.k, 128, b.data(), s.n, 0, 0.f, c.data(),
                            s.n, &co) != dnnl_success) {
        state.SkipWithError("dnnl_gemm_u8s8s32 failed");
        return;
      }
#endif
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GOPS"] = benchmark::Counter(2.0 * static_cast<double>(s.m * s.n * s.k),
                                              benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
  if (impl == QImpl::kOurs) state.SetLabel(uk.name);
}

int register_qgemm() {
  std::vector<std::pair<QImpl, const char*>> impls = {{QImpl::kOurs, "ours"}};
#ifdef FASTSERVE_BENCH_ONEDNN
  impls.push_back({QImpl::kOneDnn, "onednn"});
#endif
  for (const QShape& s : kQShapes) {
    for (int threads : {1, 2}) {
      for (const auto& [impl, name] : impls) {
        const std::string label = "qgemm_u8s8s32/" + std::to_string(s.m) + "x" + std::to_string(s.n) + "x" +
                                  std::to_string(s.k) + "/threads:" + std::to_string(threads) + "/" + name;
        benchmark::RegisterBenchmark(label.c_str(), bm_qgemm, impl, threads, s)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
  return 0;
}
const int kQRegistered = register_qgemm();

}  // namespace
}  // namespace fastserve
