#include "tests/conformance/node_test_case.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>

#include "onnx/onnx_tensor_reader.h"
#include "onnx/protobuf_wire.h"

namespace fastserve::conformance {
namespace fs = std::filesystem;

namespace {

// Files named <prefix><N>.pb in `dir`, ordered by N (input_10 after input_9).
std::vector<std::string> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<std::string> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    files.push_back(p.string());
  }
  return files;
}

}  // namespace

Result<std::vector<NodeTestCase>> list_node_tests(const std::string& root) {
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    return Status(StatusCode::kNotFound, root + ": not a directory (generate it with `make conformance-data`)");
  }
  std::vector<NodeTestCase> tests;
  for (const fs::directory_entry& e : fs::directory_iterator(root, ec)) {
    if (!e.is_directory() || !fs::exists(e.path() / "model.onnx")) continue;
    NodeTestCase t;
    t.name = e.path().filename().string();
    t.dir = e.path().string();
    for (int i = 0;; ++i) {
      fs::path d = e.path() / ("test_data_set_" + std::to_string(i));
      if (!fs::is_directory(d)) break;
      t.data_sets.push_back({numbered_files(d, "input_"), numbered_files(d, "output_")});
    }
    tests.push_back(std::move(t));
  }
  std::sort(tests.begin(), tests.end(), [](const NodeTestCase& a, const NodeTestCase& b) { return a.name < b.name; });
  return tests;
}

Result<Tensor> read_tensor_proto_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status(StatusCode::kNotFound, path + ": cannot open");
  auto bytes = std::make_shared<std::string>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  pb::WireReader r(reinterpret_cast<const uint8_t*>(bytes->data()), bytes->size());
  Result<TensorProtoFields> fields = parse_tensor_proto(r);
  if (!fields.ok()) return fields.status().with_context(path);
  Result<Tensor> t = decode_tensor(*fields, TensorSources{bytes, nullptr}, path);
  if (!t.ok()) return t.status();
  // The tensor may wrap `bytes`; a clone owns its storage outright.
  return t->clone();
}

}  // namespace fastserve::conformance
