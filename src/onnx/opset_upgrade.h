// Models that import a default-domain opset older than 11.
//
// FastServe's shape inference and kernels implement ONNX opsets 11 to 28. An
// op in an older model means what it means at opset 11 exactly when ONNX did
// not change the op's definition in between, i.e. when the since_version of
// its definition in effect at opset 11 is at most the model's opset: a new
// version is how ONNX changes an op (Add-7 replaced Add-6's `broadcast`
// attribute by numpy broadcasting, BatchNormalization-9 dropped `spatial`,
// Softmax-11 and Conv-11 redefined details, Upsample was replaced by
// Resize). When every default-domain node passes, the loader raises the
// model's default opset to 11, which is the ONNX version converter's no-op
// adapter: the same model, now in an opset FastServe implements, so every
// later step (shape inference, kernel choice by opset) sees opset 11 and can
// never apply an old op's rules by accident. A node whose op changed, or that
// FastServe does not know, is refused with kUnsupported, naming the node, the
// op and the version its definition needs; nothing is converted by guessing.
#pragma once

#include <string_view>

#include "fastserve/graph.h"

namespace fastserve {

// The oldest opset FastServe implements natively.
inline constexpr int64_t kOldestNativeOpset = 11;

// The since_version of op_type's ONNX definition in effect at opset 11 (for
// And: 7, Not: 1, Softmax: 11); 0 when the op did not exist at opset 11 or is
// not an op FastServe knows. Default domain only.
int onnx_since_version_at_opset11(std::string_view op_type);

// For a model whose default-domain opset is below 11: checks every
// default-domain node as above and raises model.opsets[""] to 11, keeping the
// file's value in Model::upgraded_from_opset. A no-op at opset 11 and above.
Status upgrade_to_native_opset(Model& model);

}  // namespace fastserve
