// attention_f32__ref: fastserve.Attention (graph/ops_fastserve.def) as the
// unfused graph computes it, one query row at a time: the scores row in f32
// (dot products accumulated in double), keep_mask / causal -> fill, + the
// additive mask, then Softmax's max / exp / sum and p @ v in double. The
// softmax is not online: this is the oracle the blocked CPU kernel
// (kernels/cpu/attention/) is tested against.
#include <algorithm>
#include <cmath>
#include <vector>

#include "kernels/ref/attention_geometry.h"
#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

Status run_attention_ref(const KernelContext& ctx) {
  const AttentionAttrs a = attention_attrs(ctx.node);
  const Tensor* add = ctx.inputs.size() > 3 ? ctx.inputs[3] : nullptr;
  const Tensor* keep = ctx.inputs.size() > 4 ? ctx.inputs[4] : nullptr;
  FS_ASSIGN_OR_RETURN(AttentionGeometry g,
                      attention_geometry(ctx.node, a, *ctx.inputs[0], *ctx.inputs[1], *ctx.inputs[2], add, keep));
  const float* q = ctx.inputs[0]->data<float>();
  const float* k = ctx.inputs[1]->data<float>();
  const float* v = ctx.inputs[2]->data<float>();
  const float* addp = add != nullptr ? add->data<float>() : nullptr;
  const bool* keepp = keep != nullptr ? keep->data<bool>() : nullptr;
  float* y = ctx.outputs[0]->data<float>();
  std::vector<float> s(static_cast<size_t>(g.sk));
  std::vector<double> acc(static_cast<size_t>(g.dv));
  for (int64_t b = 0; b < g.batch; ++b) {
    for (int64_t h = 0; h < g.heads; ++h) {
      for (int64_t i = 0; i < g.sq; ++i) {
        const float* qi = q + b * g.q.b + h * g.q.h + i * g.q.s;
        for (int64_t j = 0; j < g.sk; ++j) {
          const float* kj = k + b * g.k.b + h * g.k.h + j * g.k.s;
          double dot = 0.0;
          for (int64_t c = 0; c < g.d; ++c) dot += static_cast<double>(qi[c]) * static_cast<double>(kj[c]);
          float sc = static_cast<float>(dot * static_cast<double>(a.scale));
          bool kept = !(a.causal && j > i + g.causal_offset);
          if (keepp != nullptr) kept = kept && keepp[b * g.keep.b + h * g.keep.h + i * g.keep.q + j * g.keep.k];
          if (!kept) sc = a.fill;
          if (addp != nullptr) sc += addp[b * g.add.b + h * g.add.h + i * g.add.q + j * g.add.k];
          s[static_cast<size_t>(j)] = sc;
        }
        float m = -INFINITY;
        for (float x : s) m = x > m ? x : m;
        double sum = 0.0;
        std::vector<double> p(s.size());
        for (size_t j = 0; j < s.size(); ++j) {
          p[j] = std::exp(static_cast<double>(s[j]) - static_cast<double>(m));
          sum += p[j];
        }
        std::fill(acc.begin(), acc.end(), 0.0);
        for (int64_t j = 0; j < g.sk; ++j) {
          const float* vj = v + b * g.v.b + h * g.v.h + j * g.v.s;
          const double pj = p[static_cast<size_t>(j)] / sum;
          for (int64_t c = 0; c < g.dv; ++c) acc[static_cast<size_t>(c)] += pj * static_cast<double>(vj[c]);
        }
        float* yi = y + b * g.y.b + h * g.y.h + i * g.y.s;
        for (int64_t c = 0; c < g.dv; ++c) yi[c] = static_cast<float>(acc[static_cast<size_t>(c)]);
      }
    }
  }
  return ok_status();
}

}  // namespace

void register_ref_attention_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "attention_f32__ref",
                   .op_type = "Attention",
                   .domain = "fastserve",
                   .dtype = DType::kF32,
                   .run = &run_attention_ref});
}

}  // namespace fastserve
