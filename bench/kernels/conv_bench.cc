// FP32 convolution: each CPU algorithm (im2col + GEMM, 1x1 GEMM, Winograd
// F(4x4, 3x3), depthwise) on the conv layers of ResNet-50 and MobileNetV2 at
// batch 1, with 1 and 2 threads. The descriptor is run directly (prepare
// once with constant W and B, then run), so an algorithm can be measured on
// a layer the heuristic gives to another one (e.g. im2col vs Winograd on the
// same 3x3 layer). GFLOP/s counts direct-convolution FLOPs (2 * N * M * OH *
// OW * C/group * kh * kw), so Winograd reports "effective" GFLOP/s.
//
//   build/bench/fastserve_bench --benchmark_filter=conv/ --benchmark_repetitions=5
//       --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "bench/kernels/kernel_bench_util.h"
#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "graph/op_schema.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

struct ConvLayer {
  const char* label;
  int64_t c, m, h, w, k, stride, pad, group;
};

// ResNet-50 (3x3 layers at every stage, the 7x7 stem, 1x1 bottleneck
// convs) and MobileNetV2 (depthwise 3x3 at each resolution, stride 1 and 2;
// 1x1 expand / project).
const std::vector<ConvLayer>& resnet_3x3() {
  static const std::vector<ConvLayer> l = {
      {"r50_3x3_64_56", 64, 64, 56, 56, 3, 1, 1, 1},
      {"r50_3x3_128_28", 128, 128, 28, 28, 3, 1, 1, 1},
      {"r50_3x3_256_14", 256, 256, 14, 14, 3, 1, 1, 1},
      {"r50_3x3_512_7", 512, 512, 7, 7, 3, 1, 1, 1},
  };
  return l;
}
const std::vector<ConvLayer>& gemm_only_layers() {
  static const std::vector<ConvLayer> l = {
      {"r50_7x7s2_3_64_224", 3, 64, 224, 224, 7, 2, 3, 1},
      {"r50_3x3s2_128_56", 128, 128, 56, 56, 3, 2, 1, 1},
      {"mv2_3x3s2_3_32_224", 3, 32, 224, 224, 3, 2, 1, 1},
  };
  return l;
}
const std::vector<ConvLayer>& pointwise_layers() {
  static const std::vector<ConvLayer> l = {
      {"r50_1x1_64_256_56", 64, 256, 56, 56, 1, 1, 0, 1},
      {"r50_1x1_256_64_56", 256, 64, 56, 56, 1, 1, 0, 1},
      {"r50_1x1_1024_256_14", 1024, 256, 14, 14, 1, 1, 0, 1},
      {"r50_1x1_512_2048_7", 512, 2048, 7, 7, 1, 1, 0, 1},
      {"r50_1x1s2_256_512_56", 256, 512, 56, 56, 1, 2, 0, 1},
      {"mv2_1x1_16_96_112", 16, 96, 112, 112, 1, 1, 0, 1},
      {"mv2_1x1_144_24_56", 144, 24, 56, 56, 1, 1, 0, 1},
      {"mv2_1x1_32_192_28", 32, 192, 28, 28, 1, 1, 0, 1},
      {"mv2_1x1_576_96_14", 576, 96, 14, 14, 1, 1, 0, 1},
      {"mv2_1x1_960_160_7", 960, 160, 7, 7, 1, 1, 0, 1},
      {"mv2_1x1_320_1280_7", 320, 1280, 7, 7, 1, 1, 0, 1},
  };
  return l;
}
const std::vector<ConvLayer>& depthwise_layers() {
  static const std::vector<ConvLayer> l = {
      {"mv2_dw_32_112", 32, 32, 112, 112, 3, 1, 1, 32},  {"mv2_dw_32_112_s2", 32, 32, 112, 112, 3, 2, 1, 32},
      {"mv2_dw_144_56", 144, 144, 56, 56, 3, 1, 1, 144}, {"mv2_dw_144_56_s2", 144, 144, 56, 56, 3, 2, 1, 144},
      {"mv2_dw_192_28", 192, 192, 28, 28, 3, 1, 1, 192}, {"mv2_dw_192_28_s2", 192, 192, 28, 28, 3, 2, 1, 192},
      {"mv2_dw_576_14", 576, 576, 14, 14, 3, 1, 1, 576}, {"mv2_dw_576_14_s2", 576, 576, 14, 14, 3, 2, 1, 576},
      {"mv2_dw_960_7", 960, 960, 7, 7, 3, 1, 1, 960},
  };
  return l;
}

Tensor random_tensor(Shape shape, std::mt19937& rng) {
  Tensor t = Tensor::empty(DType::kF32, std::move(shape));
  std::uniform_real_distribution<float> dist(-1.f, 1.f);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = dist(rng);
  return t;
}

void bm_conv(benchmark::State& state, const KernelDesc* desc, ConvLayer l, int threads) {
  if (desc->required_isa > host_isa()) {
    state.SkipWithError("host ISA too low for this kernel");
    return;
  }
  std::mt19937 rng(1234);
  const std::vector<Tensor> inputs = {random_tensor({1, l.c, l.h, l.w}, rng),
                                      random_tensor({l.m, l.c / l.group, l.k, l.k}, rng),
                                      random_tensor({l.m}, rng)};
  const std::vector<Attribute> attrs = {bench::ints_attr("pads", {l.pad, l.pad, l.pad, l.pad}),
                                        bench::ints_attr("strides", {l.stride, l.stride}),
                                        bench::int_attr("group", l.group)};
  std::vector<TensorInfo> ins;
  for (const Tensor& t : inputs) ins.push_back(TensorInfo::of(t));
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("conv", "Conv", "", 17, &attrs, ins, outs);
  if (Status st = find_op_schema("Conv", "")->infer(view, outs); !st.ok()) {
    state.SkipWithError(st.to_string().c_str());
    return;
  }
  Tensor y = Tensor::empty(DType::kF32, outs[0].shape);
  if (!bench::time_kernel(state, *desc, view, {&inputs[0], &inputs[1], &inputs[2]}, y, threads)) return;
  const double flops = 2.0 * static_cast<double>(y.numel()) * (l.c / l.group) * l.k * l.k;
  state.counters["GFLOP/s"] =
      benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// The Winograd / im2col crossover (conv_algo.cc's thresholds): square 3x3
// stride-1 layers over channel counts and output sizes, one thread.
const std::vector<ConvLayer>& crossover_layers() {
  static const std::vector<ConvLayer> l = [] {
    static std::vector<std::string> labels;
    std::vector<ConvLayer> out;
    for (int64_t c : {4, 8, 16, 32, 64}) {
      for (int64_t hw : {4, 7, 8, 10, 12, 13, 14, 16, 20, 28, 56}) {
        labels.push_back("xover_3x3_" + std::to_string(c) + "_" + std::to_string(hw));
      }
    }
    size_t i = 0;
    for (int64_t c : {4, 8, 16, 32, 64}) {
      for (int64_t hw : {4, 7, 8, 10, 12, 13, 14, 16, 20, 28, 56})
        out.push_back({labels[i++].c_str(), c, c, hw, hw, 3, 1, 1, 1});
    }
    return out;
  }();
  return l;
}

void add(const std::string& algo, const ConvLayer& l, std::vector<int> thread_counts = {1, 2}) {
  for (const char* isa : {"avx512", "avx2"}) {
    const std::string name = "conv_f32_" + algo + "__" + isa;
    const KernelDesc* desc = bench::find_kernel(name);
    if (desc == nullptr || desc->required_isa > host_isa()) continue;  // only what the host runs
    for (int threads : thread_counts) {
      const std::string bm =
          "conv/" + algo + "/" + l.label + "/" + isa + "/threads:" + std::to_string(threads);
      benchmark::RegisterBenchmark(bm.c_str(), bm_conv, desc, l, threads)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
    break;  // the best ISA the host has
  }
}

int register_all() {
  for (const ConvLayer& l : resnet_3x3()) {
    add("im2col_gemm", l);
    add("winograd", l);
  }
  for (const ConvLayer& l : gemm_only_layers()) add("im2col_gemm", l);
  for (const ConvLayer& l : pointwise_layers()) add("1x1_gemm", l);
  for (const ConvLayer& l : depthwise_layers()) add("depthwise", l);
  for (const ConvLayer& l : crossover_layers()) {
    add("im2col_gemm", l, {1});
    add("winograd", l, {1});
  }
  return 0;
}
const int kRegistered = register_all();

}  // namespace
}  // namespace fastserve
