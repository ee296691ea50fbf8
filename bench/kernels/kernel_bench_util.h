// What the per-kernel microbenchmarks (conv_bench.cc, sparse_bench.cc,
// sparse24_bench.cc) share: node attributes, finding a descriptor by name,
// and preparing one on a NodeView and timing its run over given inputs.
#pragma once

#include <benchmark/benchmark.h>

#include <span>
#include <string_view>
#include <utility>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "runtime/kernel_registry.h"

namespace fastserve::bench {

inline Attribute ints_attr(const char* name, std::vector<int64_t> v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInts;
  a.ints = std::move(v);
  return a;
}

inline Attribute int_attr(const char* name, int64_t v) {
  Attribute a;
  a.name = name;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

inline const KernelDesc* find_kernel(std::string_view name) {
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

// Prepares `desc` for `view` with `threads` threads and times desc.run over
// `inputs` into `y` (already shaped). On an error the state is skipped with
// it and false returned.
inline bool time_kernel(benchmark::State& state, const KernelDesc& desc, const NodeView& view,
                        const std::vector<const Tensor*>& inputs, Tensor& y, int threads) {
  PrepareContext pctx;
  pctx.isa = host_isa();
  pctx.num_threads = threads;
  if (Status st = desc.prepare(view, pctx); !st.ok()) {
    state.SkipWithError(st.to_string().c_str());
    return false;
  }
  Tensor* out_ptr = &y;
  ThreadPool pool(threads);
  const KernelContext ctx{view, inputs, std::span<Tensor* const>(&out_ptr, 1), pctx.state.get(), &pool};
  for (auto _ : state) {
    if (Status st = desc.run(ctx); !st.ok()) {
      state.SkipWithError(st.to_string().c_str());
      return false;
    }
    benchmark::DoNotOptimize(y.data<float>());
  }
  return true;
}

}  // namespace fastserve::bench
