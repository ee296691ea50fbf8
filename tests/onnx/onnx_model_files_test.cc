// The reader on real files written by the onnx Python package: the shipped
// models (models/) and the hand-built test models (tests/data/models/, see
// its README.md). Skipped when the files are absent.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "onnx/onnx_reader.h"

namespace fastserve {
namespace {

std::string repo_path(const std::string& relative) {
  return std::string(FASTSERVE_SOURCE_DIR) + "/" + relative;
}

#define SKIP_IF_MISSING(path) \
  if (!std::filesystem::exists(path)) GTEST_SKIP() << path << " not present"

const Value& value(const Model& m, const std::string& name) {
  const ValueId id = m.graph.find_value(name);
  EXPECT_NE(id, kNoValue) << name;
  return m.graph.values.at(static_cast<size_t>(id == kNoValue ? 0 : id));
}

TEST(OnnxModelFiles, ShippedModelsLoad) {
  for (const char* name : {"models/tiny_cnn.onnx", "models/fashion_mnist_cnn.onnx"}) {
    const std::string path = repo_path(name);
    if (!std::filesystem::exists(path)) continue;
    auto r = load_onnx_model(path);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    const Model& m = **r;
    EXPECT_EQ(m.opset(), 17) << name;
    ASSERT_EQ(m.graph.inputs.size(), 1u) << name;
    const Value& in = m.graph.values[static_cast<size_t>(m.graph.inputs[0])];
    EXPECT_EQ(in.dtype, DType::kF32);
    EXPECT_EQ(in.shape.rank(), 4u);
    EXPECT_EQ(in.shape[1], 1);
    EXPECT_EQ(in.shape[3], 28);
    EXPECT_EQ(m.graph.outputs.size(), 1u);
    size_t weight_bytes = 0;
    for (const Value& v : m.graph.values) weight_bytes += v.is_constant() ? v.initializer.nbytes() : 0;
    EXPECT_GT(weight_bytes, 10000u) << name;
  }
}

TEST(OnnxModelFiles, ValidTestModelsLoad) {
  const std::string dir = repo_path("tests/data/models");
  SKIP_IF_MISSING(dir + "/init_raw_data.onnx");
  int loaded = 0;
  for (const char* name : {"init_raw_data", "init_typed_fields", "init_external_data", "dims_symbolic_static",
                           "conv_matmul_opset11", "conv_matmul_opset21", "cast_chain", "shape_arith",
                           "ops_conv_pool", "ops_gemm_matmul", "ops_elementwise", "ops_softmax_shape",
                           // Unknown ops are the session's to report; the file itself is fine.
                           "unknown_ops"}) {
    const std::string path = dir + "/" + name + ".onnx";
    if (!std::filesystem::exists(path)) continue;
    auto r = load_onnx_model(path);
    EXPECT_TRUE(r.ok()) << name << ": " << r.status().to_string();
    loaded += r.ok();
  }
  EXPECT_GT(loaded, 0);
}

TEST(OnnxModelFiles, TestModelContents) {
  const std::string dir = repo_path("tests/data/models");
  SKIP_IF_MISSING(dir + "/init_external_data.onnx");
  {
    // External W f32[4,3] at offset 0 and B f32[3] at offset 64 of the .bin.
    auto r = load_onnx_model(dir + "/init_external_data.onnx");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(value(**r, "W").initializer.shape(), (Shape{4, 3}));
    EXPECT_EQ(value(**r, "B").initializer.shape(), (Shape{3}));
    EXPECT_EQ((*r)->mappings.size(), 2u);
  }
  {
    // Old exporters list initializers as inputs: only 'x' is fed.
    auto r = load_onnx_model(dir + "/conv_matmul_opset11.onnx");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ((*r)->graph.inputs.size(), 1u);
    EXPECT_EQ((*r)->graph.values[static_cast<size_t>((*r)->graph.inputs[0])].name, "x");
    EXPECT_EQ((*r)->opset(), 11);
  }
  {
    auto r = load_onnx_model(dir + "/dims_symbolic_static.onnx");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    bool saw_batch = false;
    for (ValueId id : (*r)->graph.inputs) {
      for (const std::string& p : (*r)->graph.values[static_cast<size_t>(id)].dim_params)
        saw_batch |= p == "batch";
    }
    EXPECT_TRUE(saw_batch);
  }
  {
    auto r = load_onnx_model(dir + "/init_typed_fields.onnx");
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    int constants = 0;
    for (const Value& v : (*r)->graph.values) constants += v.is_constant();
    EXPECT_EQ(constants, 7);
  }
}

TEST(OnnxModelFiles, InvalidTestModelsGiveTheirErrors) {
  const std::string dir = repo_path("tests/data/models");
  SKIP_IF_MISSING(dir + "/opset9.onnx");
  struct Case {
    const char* name;
    StatusCode code;
    const char* fragment;
  };
  for (const Case& c : {
           Case{"opset9", StatusCode::kUnsupported, "node 'sm' (Softmax): redefined by Softmax-11"},
           Case{"opset29", StatusCode::kUnsupported, "opset 29 is not supported (supported: 1 to 28)"},
           Case{"opset99", StatusCode::kUnsupported, "opset 99 is not supported"},
           Case{"bad_raw_data_size", StatusCode::kInvalidModel,
                "initializer 'W': raw_data has 40 bytes, expected 48 for float32[4,3]"},
           Case{"bad_float_data_count", StatusCode::kInvalidModel,
                "initializer 'W': float_data has 11 values, expected 12 for float32[4,3]"},
           Case{"bad_external_out_of_range", StatusCode::kInvalidModel,
                "initializer 'W': external data [32, 32 + 48)"},
           Case{"bad_external_path_traversal", StatusCode::kInvalidModel, "escapes the model's directory"},
       }) {
    const std::string path = dir + "/" + c.name + ".onnx";
    if (!std::filesystem::exists(path)) continue;
    auto r = load_onnx_model(path);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), c.code) << c.name << ": " << r.status().message();
    EXPECT_NE(r.status().message().find(c.fragment), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find(std::string(c.name) + ".onnx: "), std::string::npos)
        << r.status().message();
  }
}

}  // namespace
}  // namespace fastserve
