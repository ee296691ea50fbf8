// Dynamic INT8 quantization of a model's MatMuls, written as the standard
// ONNX operators ONNX Runtime's quantize_dynamic also writes, so the result
// runs in both engines:
//
//   A --DynamicQuantizeLinear--> (A_q uint8, A_scale, A_zp)         one per distinct A
//   MatMulInteger(A_q, W_q int8, A_zp, W_zp) -> Cast(float) -> Mul(., A_scale * W_scale) -> Y
//
// Each MatMul whose B is a float32 constant of rank 2 is rewritten (unless
// excluded); its output keeps its name, so everything downstream is
// unchanged. Weights are symmetric int8 (zero point 0, the restricted range
// [-127, 127]), per tensor or per output column. Activations are uint8,
// asymmetric, their range taken per run by DynamicQuantizeLinear. The
// engine runs the pattern as fastserve.MatMulIntegerToFloat on its INT8
// GEMM (passes/fuse_matmul_integer_to_float.cc).
#pragma once

#include <string>
#include <vector>

#include "fastserve/graph.h"

namespace fastserve::quant {

struct DynamicQuantOptions {
  bool per_channel = false;           // one weight scale per output column
  std::vector<std::string> exclude;   // MatMul node names to keep in float
};

struct QuantizedLayer {
  std::string node;        // the MatMul's name
  std::string weight;      // its B initializer
  int64_t k = 0, n = 0;
  float scale_min = 0, scale_max = 0;  // over the weight's scales
  double mse = 0;          // mean squared error of the dequantized weight
  double snr_db = 0;       // 10 log10(sum w^2 / sum (w - w')^2)
};

struct DynamicQuantReport {
  std::vector<QuantizedLayer> layers;
  std::vector<std::string> kept;  // "node: why" for MatMuls left in float
  int64_t weight_bytes_before = 0, weight_bytes_after = 0;  // all initializers
};

// Rewrites `model` in place. Errors (kInvalidArgument, naming the model):
// a model that is already quantized (it holds QuantizeLinear,
// DequantizeLinear, DynamicQuantizeLinear or integer linear-algebra ops),
// opset below 11, an --exclude name that is no MatMul of the model, nothing
// to quantize.
Result<DynamicQuantReport> quantize_dynamic(Model& model, const DynamicQuantOptions& options);

}  // namespace fastserve::quant
