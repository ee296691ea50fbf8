#include "tests/conformance/node_test_runner.h"

#include <vector>

#include "fastserve/session.h"
#include "onnx/onnx_reader.h"

namespace fastserve::conformance {
namespace {

// kUnsupported means valid input we do not handle (op, opset, dtype,
// attribute value); every other error is a failure.
NodeTestResult from_status(const Status& s, const std::string& stage) {
  return {s.code() == StatusCode::kUnsupported ? Outcome::kUnsupported : Outcome::kFail,
          stage + ": " + s.message()};
}

}  // namespace

NodeTestResult run_node_test(const NodeTestCase& test, const Tolerance& tol) {
  Result<std::shared_ptr<Model>> model = load_onnx_model(test.dir + "/model.onnx");
  if (!model.ok()) return from_status(model.status(), "load");
  SessionOptions options;
  options.num_threads = 1;
  Result<std::unique_ptr<Session>> session = Session::create(*model, options);
  if (!session.ok()) return from_status(session.status(), "compile");
  const Session& s = **session;
  if (test.data_sets.empty()) return {Outcome::kFail, "no test_data_set_N directory"};

  for (size_t d = 0; d < test.data_sets.size(); ++d) {
    const NodeTestDataSet& ds = test.data_sets[d];
    const std::string where = "data set " + std::to_string(d);
    if (ds.input_files.size() != s.inputs().size()) {
      return {Outcome::kFail, where + ": " + std::to_string(ds.input_files.size()) + " input files for " +
                                  std::to_string(s.inputs().size()) + " graph inputs"};
    }
    std::vector<NamedTensor> inputs;
    for (size_t j = 0; j < ds.input_files.size(); ++j) {
      Result<Tensor> t = read_tensor_proto_file(ds.input_files[j]);
      if (!t.ok()) return from_status(t.status(), where + " input " + std::to_string(j));
      inputs.push_back({s.inputs()[j].name, std::move(*t)});
    }
    // Twice: the first run allocates each intermediate on its own, the second
    // runs from the planned arena (views, in-place ops: runtime/run_memory.cc).
    for (int pass = 0; pass < 2; ++pass) {
      const std::string run = where + (pass == 0 ? " run" : " second run (planned arena)");
      Result<std::vector<NamedTensor>> outputs = s.run(inputs);
      if (!outputs.ok()) return from_status(outputs.status(), run);
      if (outputs->size() != ds.output_files.size()) {
        return {Outcome::kFail, run + ": " + std::to_string(outputs->size()) + " outputs, expected " +
                                    std::to_string(ds.output_files.size())};
      }
      for (size_t j = 0; j < ds.output_files.size(); ++j) {
        Result<Tensor> expected = read_tensor_proto_file(ds.output_files[j]);
        if (!expected.ok()) return from_status(expected.status(), run + " output " + std::to_string(j));
        const std::string diff = compare_outputs(*expected, (*outputs)[j].tensor, tol);
        if (!diff.empty()) return {Outcome::kFail, run + " output '" + (*outputs)[j].name + "': " + diff};
      }
    }
  }
  return {Outcome::kPass, ""};
}

}  // namespace fastserve::conformance
