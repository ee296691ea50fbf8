// block_quant_matmul__{avx512,portable}: fastserve.BlockQuantMatMul with the
// 4-bit weights repacked once at prepare() (block_quant_matmul.h) and
// unpacked in registers on every run; the original int4 initializer is
// dropped afterwards (packed_inputs). Rows of A go in groups of 4 per
// 16-column panel; the pool splits the panels.
#include "kernels/cpu/block_quant_matmul/block_quant_matmul.h"

#include <algorithm>
#include <memory>
#include <vector>

#include "runtime/kernel_registry.h"

namespace fastserve {

void block_quant_panel_portable(const BlockQuantPacked& w, int64_t panel, const float* a, int64_t lda, int rows,
                                float* y, int64_t ldy, int nn) {
  float acc[kBqRows][kBqCols] = {};
  const uint8_t* codes = w.codes.data() + panel * w.k * 8;
  const int64_t col0 = panel * kBqCols;
  for (int64_t b = 0; b < w.blocks; ++b) {
    const float* s = w.scales.data() + b * w.n_pad + col0;
    const float* zs = w.zs.data() + b * w.n_pad + col0;
    const int64_t k1 = std::min(w.k, (b + 1) * w.block);
    for (int64_t k = b * w.block; k < k1; ++k) {
      float wv[kBqCols];
      for (int j = 0; j < kBqCols; ++j) {
        const uint8_t byte = codes[k * 8 + j / 2];
        const auto code = static_cast<uint8_t>(j % 2 == 0 ? byte & 0xF : byte >> 4);
        wv[j] = block_quant_code_value(code, w.is_signed) * s[j] - zs[j];
      }
      for (int r = 0; r < rows; ++r) {
        const float x = a[r * lda + k];
        for (int j = 0; j < kBqCols; ++j) acc[r][j] += x * wv[j];
      }
    }
  }
  for (int r = 0; r < rows; ++r) {
    for (int j = 0; j < nn; ++j) y[r * ldy + j] = acc[r][j] + (w.bias.empty() ? 0.f : w.bias[static_cast<size_t>(col0 + j)]);
  }
}

void block_quant_dequant_panel_portable(const BlockQuantPacked& w, int64_t panel, float* out) {
  const uint8_t* codes = w.codes.data() + panel * w.k * 8;
  const int64_t col0 = panel * kBqCols;
  for (int64_t k = 0; k < w.k; ++k) {
    const float* s = w.scales.data() + (k / w.block) * w.n_pad + col0;
    const float* zs = w.zs.data() + (k / w.block) * w.n_pad + col0;
    for (int j = 0; j < kBqCols; ++j) {
      const uint8_t byte = codes[k * 8 + j / 2];
      const auto code = static_cast<uint8_t>(j % 2 == 0 ? byte & 0xF : byte >> 4);
      out[k * kBqCols + j] = block_quant_code_value(code, w.is_signed) * s[j] - zs[j];
    }
  }
}

void block_quant_gemm_panel_portable(const float* wp, int64_t k, const float* a, int64_t lda, int rows,
                                     const float* bias16, float* y, int64_t ldy, int nn) {
  for (int r = 0; r < rows; ++r) {
    float acc[kBqCols] = {};
    for (int64_t kk = 0; kk < k; ++kk) {
      const float x = a[r * lda + kk];
      for (int j = 0; j < kBqCols; ++j) acc[j] += x * wp[kk * kBqCols + j];
    }
    for (int j = 0; j < nn; ++j) y[r * ldy + j] = acc[j] + (bias16 != nullptr ? bias16[j] : 0.f);
  }
}

namespace {

struct BlockQuantState {
  BlockQuantPacked w;
  BlockQuantPanelFn panel = nullptr;
  void (*dequant_panel)(const BlockQuantPacked&, int64_t, float*) = nullptr;
  void (*gemm_panel)(const float*, int64_t, const float*, int64_t, int, const float*, float*, int64_t, int) = nullptr;
};

// What the fusion guarantees, checked again: constant 4-bit B, constant
// float32 scales of the blocked shape, an optional zero point alike, A float32.
bool accepts_block_quant(const NodeView& node) {
  const Tensor* b = node.input_value(1);
  const Tensor* s = node.input_value(2);
  if (b == nullptr || s == nullptr || b->rank() != 2 || s->rank() != 2 || s->dtype() != DType::kF32) return false;
  if (b->dtype() != DType::kI4 && b->dtype() != DType::kU4) return false;
  if (node.input_dtype(0) != DType::kF32) return false;
  const int64_t block = node.attr_int("block_size", 0);
  const bool trans = node.attr_int("trans_b", 0) != 0;
  const int64_t k = trans ? b->dim(1) : b->dim(0), n = trans ? b->dim(0) : b->dim(1);
  const int64_t blocks = block > 0 ? (k + block - 1) / block : 0;
  if (block < 1 || s->dim(trans ? 1 : 0) != blocks || s->dim(trans ? 0 : 1) != n) return false;
  if (node.has_input(3)) {
    const Tensor* zp = node.input_value(3);
    if (zp == nullptr || zp->dtype() != b->dtype() || zp->shape() != s->shape()) return false;
  }
  if (node.has_input(4)) {
    const Tensor* bias = node.input_value(4);
    if (bias == nullptr || bias->dtype() != DType::kF32 || bias->numel() != n) return false;
  }
  return true;
}

template <Isa kIsa>
Status prepare_block_quant(const NodeView& node, PrepareContext& ctx) {
  auto st = std::make_shared<BlockQuantState>();
  const Tensor& b = *node.input_value(1);
  const Tensor& s = *node.input_value(2);
  const Tensor* zp = node.has_input(3) ? node.input_value(3) : nullptr;
  const bool trans = node.attr_int("trans_b", 0) != 0;
  BlockQuantPacked& w = st->w;
  w.k = trans ? b.dim(1) : b.dim(0);
  w.n = trans ? b.dim(0) : b.dim(1);
  w.n_pad = (w.n + kBqCols - 1) / kBqCols * kBqCols;
  w.block = node.attr_int("block_size", 1);
  w.blocks = (w.k + w.block - 1) / w.block;
  w.is_signed = b.dtype() == DType::kI4;
  w.codes.assign(static_cast<size_t>(w.n_pad / kBqCols * w.k * 8), 0);
  w.scales.assign(static_cast<size_t>(w.blocks * w.n_pad), 0.f);
  w.zs.assign(static_cast<size_t>(w.blocks * w.n_pad), 0.f);
  // One 4-bit value per byte in memory (int4: -8..7, uint4: 0..15); its low
  // nibble is the code either way.
  const auto* q = static_cast<const uint8_t*>(b.raw_data());
  for (int64_t kk = 0; kk < w.k; ++kk) {
    for (int64_t j = 0; j < w.n; ++j) {
      const auto code = static_cast<uint8_t>(q[trans ? j * w.k + kk : kk * w.n + j] & 0xF);
      uint8_t& byte = w.codes[static_cast<size_t>(((j / kBqCols) * w.k + kk) * 8 + (j % kBqCols) / 2)];
      byte = static_cast<uint8_t>(byte | (j % 2 == 0 ? code : code << 4));
    }
  }
  for (int64_t blk = 0; blk < w.blocks; ++blk) {
    for (int64_t j = 0; j < w.n; ++j) {
      const int64_t si = trans ? j * w.blocks + blk : blk * w.n + j;
      const float scale = s.data<float>()[si];
      const auto o = static_cast<size_t>(blk * w.n_pad + j);
      w.scales[o] = scale;
      w.zs[o] = zp != nullptr ? static_cast<float>(zp->element_as_int64(si)) * scale : 0.f;
    }
  }
  if (node.has_input(4)) {
    const Tensor& bias = *node.input_value(4);
    w.bias.assign(static_cast<size_t>(w.n_pad), 0.f);
    std::copy(bias.data<float>(), bias.data<float>() + w.n, w.bias.begin());
  }
  st->panel = &block_quant_panel_portable;
  st->dequant_panel = &block_quant_dequant_panel_portable;
  st->gemm_panel = &block_quant_gemm_panel_portable;
#if defined(__x86_64__) || defined(_M_X64)
  if constexpr (kIsa >= Isa::kAvx512) {
    st->panel = &block_quant_panel_avx512;
    st->dequant_panel = &block_quant_dequant_panel_avx512;
    st->gemm_panel = &block_quant_gemm_panel_avx512;
  }
#endif
  ctx.packed_inputs |= 1u << 1;
  ctx.state = std::move(st);
  return ok_status();
}

Status run_block_quant(const KernelContext& ctx) {
  const auto& st = ctx.state_as<BlockQuantState>();
  const BlockQuantPacked& w = st.w;
  const Tensor& a = *ctx.inputs[0];
  if (a.rank() < 1 || a.dim(a.rank() - 1) != w.k) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "A " + a.shape().to_string() + " does not end in K = " + std::to_string(w.k));
  }
  const int64_t m = a.numel() / std::max<int64_t>(w.k, 1);
  const float* ad = a.data<float>();
  float* yd = ctx.outputs[0]->data<float>();
  const int64_t panels = w.n_pad / kBqCols;
  if (m <= kBqRows) {
    ctx.pool->parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const int nn = static_cast<int>(std::min<int64_t>(kBqCols, w.n - p * kBqCols));
        st.panel(w, p, ad, w.k, static_cast<int>(m), yd + p * kBqCols, w.n, nn);
      }
    });
    return ok_status();
  }
  ctx.pool->parallel_for(panels, 1, [&](int64_t p0, int64_t p1) {
    thread_local std::vector<float> wp;  // this worker's dequantized panel
    wp.resize(static_cast<size_t>(w.k * kBqCols));
    for (int64_t p = p0; p < p1; ++p) {
      const int nn = static_cast<int>(std::min<int64_t>(kBqCols, w.n - p * kBqCols));
      st.dequant_panel(w, p, wp.data());
      const float* bias16 = w.bias.empty() ? nullptr : w.bias.data() + p * kBqCols;
      for (int64_t r = 0; r < m; r += kBqGemmRows) {
        const int rows = static_cast<int>(std::min<int64_t>(kBqGemmRows, m - r));
        st.gemm_panel(wp.data(), w.k, ad + r * w.k, w.k, rows, bias16, yd + r * w.n + p * kBqCols, w.n, nn);
      }
    }
  });
  return ok_status();
}

}  // namespace

void register_cpu_block_quant_matmul_kernels(KernelRegistry& r) {
#if defined(__x86_64__) || defined(_M_X64)
  r.add({.name = "block_quant_matmul__avx512", .op_type = "BlockQuantMatMul", .domain = "fastserve",
         .dtype = DType::kF32, .required_isa = Isa::kAvx512, .priority = 30, .accepts = accepts_block_quant,
         .prepare = prepare_block_quant<Isa::kAvx512>, .run = run_block_quant});
#endif
  r.add({.name = "block_quant_matmul__portable", .op_type = "BlockQuantMatMul", .domain = "fastserve",
         .dtype = DType::kF32, .required_isa = Isa::kScalar, .priority = 10, .accepts = accepts_block_quant,
         .prepare = prepare_block_quant<Isa::kScalar>, .run = run_block_quant});
}

}  // namespace fastserve
