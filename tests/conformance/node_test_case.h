// One ONNX backend node test on disk: <dir>/model.onnx plus data sets
// <dir>/test_data_set_N/{input,output}_J.pb (each a serialized TensorProto).
// The layout is the one onnx's backend test tools write (see
// tools/make_onnx_node_tests.py, which generates it from the pip package).
#pragma once

#include <string>
#include <vector>

#include "fastserve/status.h"
#include "fastserve/tensor.h"

namespace fastserve::conformance {

struct NodeTestDataSet {
  std::vector<std::string> input_files;   // input_0.pb, input_1.pb, ... in order
  std::vector<std::string> output_files;  // output_0.pb, ...
};

struct NodeTestCase {
  std::string name;  // the directory name, e.g. "test_add_bcast"
  std::string dir;
  std::vector<NodeTestDataSet> data_sets;
};

// Every test directory under `root` (those holding a model.onnx), sorted by
// name. kNotFound when `root` is not a directory.
Result<std::vector<NodeTestCase>> list_node_tests(const std::string& root);

// Reads one TensorProto file. kUnsupported for dtypes the engine does not
// store (string, complex, float6, ...), kInvalidModel for a malformed file.
// Sub-byte types come back unpacked (dtype.h).
Result<Tensor> read_tensor_proto_file(const std::string& path);

}  // namespace fastserve::conformance
