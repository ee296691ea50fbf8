// The ONNX op versions table and the opset-11 upgrade (see opset_upgrade.h).
#include "onnx/opset_upgrade.h"

#include <algorithm>
#include <iterator>
#include <string>
#include <utility>

#include "onnx/onnx_node_reader.h"
#include "onnx/onnx_reader.h"

namespace fastserve {
namespace {

struct OpVersion {
  std::string_view op_type;
  int since_version;
};

// For every default-domain op of src/graph/ops.def that exists at opset 11:
// the since_version of its definition in effect at opset 11, from the ONNX
// operator schemas (onnx.defs.get_schema(op, 11).since_version, onnx 1.23).
// Sorted by op type. Ops introduced after opset 11 are absent, so an older
// model using one is refused.
// clang-format off
constexpr OpVersion kSinceAtOpset11[] = {
    {"Abs", 6}, {"Acos", 7}, {"Acosh", 9}, {"Add", 7}, {"And", 7}, {"ArgMax", 11}, {"ArgMin", 11},
    {"Asin", 7}, {"Asinh", 9}, {"Atan", 7}, {"Atanh", 9}, {"AveragePool", 11}, {"BatchNormalization", 9},
    {"BitShift", 11}, {"Cast", 9}, {"Ceil", 6}, {"Clip", 11}, {"Concat", 11}, {"Constant", 11},
    {"ConstantOfShape", 9}, {"Conv", 11}, {"ConvInteger", 10}, {"ConvTranspose", 11}, {"Cos", 7}, {"Cosh", 9}, {"CumSum", 11},
    {"DepthToSpace", 11}, {"DequantizeLinear", 10}, {"Div", 7}, {"Dropout", 10},
    {"DynamicQuantizeLinear", 11}, {"Elu", 6}, {"Equal", 11}, {"Erf", 9}, {"Exp", 6},
    {"Expand", 8}, {"EyeLike", 9}, {"Flatten", 11}, {"Floor", 6}, {"Gather", 11}, {"GatherElements", 11},
    {"GatherND", 11}, {"Gemm", 11}, {"GlobalAveragePool", 1}, {"GlobalLpPool", 2}, {"GlobalMaxPool", 1},
    {"Greater", 9}, {"HardSigmoid", 6}, {"Hardmax", 11}, {"Identity", 1}, {"InstanceNormalization", 6},
    {"IsInf", 10}, {"IsNaN", 9}, {"LRN", 1}, {"LeakyRelu", 6}, {"Less", 9}, {"Log", 6}, {"LogSoftmax", 11},
    {"LpNormalization", 1}, {"LpPool", 11}, {"MatMul", 9}, {"MatMulInteger", 10}, {"Max", 8}, {"MaxPool", 11}, {"Mean", 8},
    {"MeanVarianceNormalization", 9}, {"Min", 8}, {"Mod", 10}, {"Mul", 7}, {"Neg", 6}, {"Not", 1},
    {"OneHot", 11}, {"Or", 7}, {"PRelu", 9}, {"Pad", 11}, {"Pow", 7}, {"QLinearConv", 10}, {"QLinearMatMul", 10},
    {"QuantizeLinear", 10}, {"Range", 11}, {"Reciprocal", 6},
    {"ReduceL1", 11}, {"ReduceL2", 11}, {"ReduceLogSum", 11}, {"ReduceLogSumExp", 11}, {"ReduceMax", 11},
    {"ReduceMean", 11}, {"ReduceMin", 11}, {"ReduceProd", 11}, {"ReduceSum", 11}, {"ReduceSumSquare", 11},
    {"Relu", 6}, {"Reshape", 5}, {"Resize", 11}, {"Round", 11}, {"ScatterElements", 11}, {"ScatterND", 11},
    {"Selu", 6}, {"Shape", 1}, {"Shrink", 9}, {"Sigmoid", 6}, {"Sign", 9}, {"Sin", 7}, {"Sinh", 9},
    {"Size", 1}, {"Slice", 11}, {"Softmax", 11}, {"Softplus", 1}, {"Softsign", 1}, {"SpaceToDepth", 1},
    {"Split", 11}, {"Sqrt", 6}, {"Squeeze", 11}, {"Sub", 7}, {"Sum", 8}, {"Tan", 7}, {"Tanh", 6},
    {"ThresholdedRelu", 10}, {"Tile", 6}, {"TopK", 11}, {"Transpose", 1}, {"Unsqueeze", 11}, {"Where", 9},
    {"Xor", 7},
};
// clang-format on

constexpr bool sorted_by_op_type() {
  for (size_t i = 1; i < std::size(kSinceAtOpset11); ++i) {
    if (!(kSinceAtOpset11[i - 1].op_type < kSinceAtOpset11[i].op_type)) return false;
  }
  return true;
}
static_assert(sorted_by_op_type(), "kSinceAtOpset11 must be sorted by op type, each op once");

// Refused nodes named in one message; past this many, a count.
constexpr size_t kMaxNamedNodes = 8;

}  // namespace

int onnx_since_version_at_opset11(std::string_view op_type) {
  const auto* it = std::lower_bound(std::begin(kSinceAtOpset11), std::end(kSinceAtOpset11), op_type,
                                    [](const OpVersion& v, std::string_view op) { return v.op_type < op; });
  return it != std::end(kSinceAtOpset11) && it->op_type == op_type ? it->since_version : 0;
}

Status upgrade_to_native_opset(Model& model) {
  auto it = model.opsets.find("");
  if (it == model.opsets.end()) it = model.opsets.find("ai.onnx");  // models built in memory may spell it so
  if (it == model.opsets.end() || it->second >= kOldestNativeOpset) return ok_status();
  const int64_t opset = it->second;
  std::string refused;
  size_t count = 0;
  for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
    const Node& node = model.graph.nodes[i];
    if (!node.domain.empty() && node.domain != "ai.onnx") continue;
    const int since = onnx_since_version_at_opset11(node.op_type);
    if (since != 0 && since <= opset) continue;
    if (count++ < kMaxNamedNodes) {
      refused += (refused.empty() ? "" : "; ") + describe_node(node.name, node.op_type, i) +
                 (since == 0 ? ": not an op FastServe implements at opset 11"
                             : ": redefined by " + node.op_type + "-" + std::to_string(since));
    }
  }
  if (count > 0) {
    if (count > kMaxNamedNodes) refused += "; and " + std::to_string(count - kMaxNamedNodes) + " more";
    return unsupported(
        "opset " + std::to_string(opset) + " is supported only for ops ONNX left unchanged up to opset " +
        std::to_string(kOldestNativeOpset) + " (FastServe implements opsets " +
        std::to_string(kOldestNativeOpset) + " to " + std::to_string(kMaxSupportedOpset) + "); " +
        std::to_string(count) + (count == 1 ? " node uses" : " nodes use") + " a changed op: " + refused);
  }
  model.upgraded_from_opset = opset;
  it->second = kOldestNativeOpset;
  return ok_status();
}

}  // namespace fastserve
