// libFuzzer target: arbitrary bytes through the whole ONNX reader (wire
// format, graph construction, verify_graph, shape inference). Built by
// tests/fuzz/CMakeLists.txt via tools/run_fuzz.sh; seeds in tests/fuzz/corpus/.
//
// base_dir is "" so external data is refused: the fuzzer must not map files.
// Seeds (tests/fuzz/corpus/): four models copied from tests/data/models
// (raw_data and typed-field initializers, opset 11 Conv/MatMul with
// initializers listed as inputs, elementwise ops with Constant nodes) and
// attributes_all_kinds.onnx, written with tests/onnx/proto_builder.h (every
// attribute kind, a subgraph attribute, unpacked float_data, a custom domain).
// Sources it needs: src/core/*.cc src/graph/*.cc src/onnx/*.cc.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "onnx/onnx_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy owned by the model, as a mapping would be, so
  // AddressSanitizer sees any read past the end and any use after release.
  auto buffer = std::make_shared<std::vector<uint8_t>>(data, data + size);
  auto model =
      fastserve::load_onnx_model_from_memory(buffer->data(), buffer->size(), "fuzz.onnx", "", buffer);
  if (model.ok()) {
    // Touch every initializer byte: wrapped tensors must lie inside the buffer.
    volatile uint8_t sink = 0;
    for (const fastserve::Value& v : (*model)->graph.values) {
      if (!v.is_constant()) continue;
      const auto* p = static_cast<const uint8_t*>(v.initializer.raw_data());
      for (size_t i = 0; i < v.initializer.nbytes(); ++i) sink = sink ^ p[i];
    }
    (void)sink;
  }
  return 0;
}
