// FP32 GEMM, ours against peers, on square shapes and on shapes from real
// models. Reports GFLOP/s (2*M*N*K per call).
//
// Names: gemm_f32/MxNxK/threads:T/<impl>, impl one of
//   ours_prepacked  the weight operand pre-packed,
//       as sessions run it: B for MatMul/Gemm shapes, A for conv shapes (our
//       conv is W[M = out channels, K = C*kh*kw] x cols[K, N = OH*OW]; the
//       bench gives B plain, which is what a 1x1 conv runs on, while a
//       kxk conv's im2col writes packed B itself);
//   ours_plain      nothing pre-packed;
//   onednn          dnnl_sgemm (oneDNN, packs internally), OpenMP threads;
//   eigen           Eigen, row-major maps, OpenMP threads.
// All operands are row-major, dense (lda = K, ldb = N, ldc = N) and 64-byte
// aligned like the engine's tensors; alpha 1, beta 0. Ours uses the best microkernel the host runs (the label names it).
//
// make bench, or (one line):
//   build/bench/fastserve_bench --benchmark_filter=gemm_f32
//     --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/cpu/gemm/gemm.h"

#ifdef FASTSERVE_BENCH_ONEDNN
#include <oneapi/dnnl/dnnl.h>
#endif
#ifdef FASTSERVE_BENCH_OPENMP
#include <omp.h>
#endif
#ifdef FASTSERVE_BENCH_EIGEN
#include "bench/kernels/gemm_eigen_peer.h"
#endif

namespace fastserve {
namespace {

enum class Impl { kOursPrepacked, kOursPlain, kOneDnn, kEigen };
enum class Weights { kA, kB };  // which operand is the layer's constant weight

struct Shape {
  int64_t m, n, k;
  Weights weights;
};

// MatMul / Gemm shapes (weights B), then conv-as-GEMM shapes in our conv's
// orientation (weights A).
const Shape kShapes[] = {
    {256, 256, 256, Weights::kB},
    {512, 512, 512, Weights::kB},
    {1024, 1024, 1024, Weights::kB},
    {2048, 2048, 2048, Weights::kB},
    {3136, 64, 576, Weights::kB},    // ResNet-50 conv2_x 3x3 as im2col GEMM, NHWC orientation
    {128, 384, 384, Weights::kB},    // encoder projection, seq 128, hidden 384
    {128, 3072, 768, Weights::kB},   // BERT-base FC1 at seq 128 (fused with Gelu in sessions)
    {128, 768, 3072, Weights::kB},   // BERT-base FC2 at seq 128
    {128, 768, 768, Weights::kB},    // BERT-base Q/K/V/output projection at seq 128
    {64, 1000, 2048, Weights::kB},   // ResNet-50 classifier at batch 64
    {1, 4096, 4096, Weights::kB},    // batch-1 FC: memory bound (GEMV)
    {64, 3136, 64, Weights::kA},     // ResNet-50 conv2_x 1x1 reduce
    {256, 3136, 64, Weights::kA},    // ResNet-50 conv2_x 1x1 expand
    {64, 3136, 576, Weights::kA},    // ResNet-50 conv2_x 3x3
    {64, 3136, 256, Weights::kA},    // ResNet-50 conv2_x 1x1 reduce (blocks 2-3)
    {2048, 49, 1024, Weights::kA},   // ResNet-50 conv5_x 1x1 downsample (after the stride-2 gather)
    {128, 784, 1152, Weights::kA},   // ResNet-50 conv3_x 3x3
    {512, 49, 4608, Weights::kA},    // ResNet-50 conv5_x 3x3
    {32, 12544, 27, Weights::kA},    // MobileNetV2 stem 3x3 stride 2
    {144, 3136, 24, Weights::kA},    // MobileNetV2 1x1 expand (block 2)
    {24, 3136, 144, Weights::kA},    // MobileNetV2 1x1 project (block 2)
};

void set_peer_threads(int threads) {
#ifdef FASTSERVE_BENCH_OPENMP
  omp_set_num_threads(threads);
#else
  (void)threads;
#endif
}

void bm_gemm(benchmark::State& state, Impl impl, int threads, const Shape& shape) {
  const int64_t m = shape.m, n = shape.n, k = shape.k;
  const GemmUkernel& uk = gemm_ukernel_for_isa(host_isa());
  std::mt19937 rng(1234);
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  // 64-byte aligned, as the engine's tensors are (core/device.h).
  AlignedFloats a, b, c;
  a.resize(static_cast<size_t>(m * k));
  b.resize(static_cast<size_t>(k * n));
  c.resize(static_cast<size_t>(m * n));
  for (size_t i = 0; i < a.size(); ++i) a.data()[i] = dist(rng);
  for (size_t i = 0; i < b.size(); ++i) b.data()[i] = dist(rng);
  std::fill(c.data(), c.data() + c.size(), 0.f);
  ThreadPool pool(threads);
  GemmArgs args;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a = GemmOperand{a.data(), k, false};
  args.b = GemmOperand{b.data(), n, false};
  args.c = c.data();
  args.ldc = n;
  AlignedFloats packed;
  if (impl == Impl::kOursPrepacked) {
    if (shape.weights == Weights::kB) {
      packed = pack_b(uk, k, n, args.b, &pool);
      args.b_packed = packed.data();
    } else {
      packed = pack_a(uk, m, k, args.a, &pool);
      args.a_packed = packed.data();
    }
  }
  set_peer_threads(threads);
  for (auto _ : state) {
    switch (impl) {
      case Impl::kOursPrepacked:
      case Impl::kOursPlain:
        gemm_f32(uk, args, &pool);
        break;
      case Impl::kOneDnn:
#ifdef FASTSERVE_BENCH_ONEDNN
        if (dnnl_sgemm('N', 'N', m, n, k, 1.f, a.data(), k, b.data(), n, 0.f, c.data(), n) != dnnl_success) {
          state.SkipWithError("dnnl_sgemm failed");
          return;
        }
#endif
        break;
      case Impl::kEigen:
#ifdef FASTSERVE_BENCH_EIGEN
        eigen_sgemm(threads, m, n, k, a.data(), b.data(), c.data());
#endif
        break;
    }
    benchmark::DoNotOptimize(c.data());
    benchmark::ClobberMemory();
  }
  state.counters["GFLOP/s"] = benchmark::Counter(2.0 * static_cast<double>(m * n * k),
                                                 benchmark::Counter::kIsIterationInvariantRate,
                                                 benchmark::Counter::kIs1000);
  if (impl == Impl::kOursPrepacked || impl == Impl::kOursPlain) {
    state.SetLabel(std::string(uk.name) + (shape.weights == Weights::kA ? " A=weights" : " B=weights"));
  }
}

int register_all() {
  struct Named {
    Impl impl;
    const char* name;
  };
  std::vector<Named> impls = {{Impl::kOursPrepacked, "ours_prepacked"}, {Impl::kOursPlain, "ours_plain"}};
#ifdef FASTSERVE_BENCH_ONEDNN
  impls.push_back({Impl::kOneDnn, "onednn"});
#endif
#ifdef FASTSERVE_BENCH_EIGEN
  impls.push_back({Impl::kEigen, "eigen"});
#endif
  // Shape-major order: the implementations compared on a shape run back to
  // back, so a burst of load on the machine hits them alike.
  for (const Shape& shape : kShapes) {
    for (int threads : {1, 2}) {
      for (const Named& impl : impls) {
        const std::string name = std::string("gemm_f32/") + std::to_string(shape.m) + "x" + std::to_string(shape.n) +
                                 "x" + std::to_string(shape.k) + "/threads:" + std::to_string(threads) + "/" +
                                 impl.name;
        benchmark::RegisterBenchmark(name.c_str(), bm_gemm, impl.impl, threads, shape)
            ->Unit(benchmark::kMillisecond)
            ->UseRealTime();
      }
    }
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace fastserve
