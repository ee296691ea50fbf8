// External-data initializers: mapped side files, offsets and lengths, and
// the locations that must be refused.
#include "onnx/onnx_external_data.h"

#include <gtest/gtest.h>

#include <cstring>

#include "onnx/onnx_reader.h"
#include "tests/onnx/proto_builder.h"
#include "tests/onnx/temp_dir.h"

namespace fastserve {
namespace {

namespace tb = testing;
using tb::GraphParts;
using tb::ProtoWriter;
using Entries = std::vector<std::pair<std::string, std::string>>;

// A model whose initializers are `tensors`, each also a graph output.
std::string model_with(const std::vector<std::pair<std::string, ProtoWriter>>& tensors) {
  GraphParts g;
  for (const auto& [name, t] : tensors) {
    g.initializers.push_back(t);
    g.outputs.push_back(tb::value_info_no_shape(name, tb::kOnnxFloat));
  }
  return tb::model(tb::graph(g));
}

const Tensor& initializer(const Model& m, const std::string& name) {
  const ValueId id = m.graph.find_value(name);
  EXPECT_NE(id, kNoValue);
  return m.graph.values.at(static_cast<size_t>(id)).initializer;
}

TEST(OnnxExternalData, TwoTensorsAtOffsetsShareOneMapping) {
  tb::TempDir dir;
  const std::vector<float> a{1.f, 2.f, 3.f, 4.f, 5.f, 6.f};
  const std::vector<int64_t> b{-1, 2, -3, 4};
  std::string blob = tb::to_bytes(a);
  blob.resize(64, '\0');  // b at offset 64, as tools align external data
  blob += tb::to_bytes(b);
  dir.write("weights.bin", blob);
  const std::string path = dir.write(
      "model.onnx",
      model_with(
          {{"a", tb::tensor_external("a", tb::kOnnxFloat, {2, 3},
                                     {{"location", "weights.bin"}, {"offset", "0"}, {"length", "24"}})},
           {"b", tb::tensor_external("b", tb::kOnnxInt64, {4},
                                     {{"location", "weights.bin"}, {"offset", "64"}, {"length", "32"}})}}));
  auto m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const Tensor& ta = initializer(**m, "a");
  const Tensor& tbv = initializer(**m, "b");
  ASSERT_EQ(ta.shape(), (Shape{2, 3}));
  ASSERT_EQ(tbv.dtype(), DType::kI64);
  EXPECT_EQ(std::memcmp(ta.raw_data(), a.data(), 24), 0);
  EXPECT_EQ(std::memcmp(tbv.raw_data(), b.data(), 32), 0);
  // Model file + weights.bin, the latter mapped once for both tensors and
  // wrapped in place: b lies 64 bytes after a.
  ASSERT_EQ((*m)->mappings.size(), 2u);
  const auto* base = static_cast<const char*>((*m)->mappings[1].get());
  EXPECT_EQ(static_cast<const char*>(ta.raw_data()), base);
  EXPECT_EQ(static_cast<const char*>(tbv.raw_data()), base + 64);
}

TEST(OnnxExternalData, LengthMayBeOmittedAndPathsAreNormalized) {
  tb::TempDir dir;
  const std::vector<float> a{7.f, 8.f};
  dir.write("data/w.bin", std::string(8, 'x') + tb::to_bytes(a));
  const std::string path =
      dir.write("model.onnx", model_with({{"a", tb::tensor_external("a", tb::kOnnxFloat, {2},
                                                                    {{"location", "./data/../data//w.bin"},
                                                                     {"offset", "8"},
                                                                     {"checksum", "ignored"}})}}));
  auto m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(std::memcmp(initializer(**m, "a").raw_data(), a.data(), 8), 0);
}

::testing::AssertionResult fails_with(const Result<std::shared_ptr<Model>>& r, StatusCode code,
                                      const std::string& fragment) {
  if (r.ok()) return ::testing::AssertionFailure() << "loaded, expected '" << fragment << "'";
  if (r.status().code() != code || r.status().message().find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << status_code_name(r.status().code()) << ": " << r.status().message();
  }
  return ::testing::AssertionSuccess();
}

Result<std::shared_ptr<Model>> load_with_entries(tb::TempDir& dir, const Entries& entries,
                                                 std::vector<int64_t> dims = {2}) {
  const std::string path = dir.write(
      "sub/model.onnx", model_with({{"w", tb::tensor_external("w", tb::kOnnxFloat, dims, entries)}}));
  return load_onnx_model(path);
}

TEST(OnnxExternalData, LocationsOutsideTheModelDirectoryAreRefused) {
  tb::TempDir dir;
  dir.write("outside.bin", std::string(8, '\0'));  // exists, but must not be reachable
  for (const char* location : {"../outside.bin", "a/../../outside.bin", "./../outside.bin"}) {
    EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", location}}), StatusCode::kInvalidModel,
                           "escapes the model's directory"))
        << location;
  }
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", dir.file("outside.bin")}}),
                         StatusCode::kInvalidModel, "is an absolute path"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", std::string("w.bin\0x", 7)}}),
                         StatusCode::kInvalidModel, "NUL"));
  EXPECT_TRUE(
      fails_with(load_with_entries(dir, {{"location", "."}}), StatusCode::kInvalidModel, "names no file"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"offset", "0"}}), StatusCode::kInvalidModel,
                         "initializer 'w': external data has no 'location'"));
}

TEST(OnnxExternalData, BadFilesOffsetsAndLengthsNameTheInitializer) {
  tb::TempDir dir;
  dir.write("sub/w.bin", std::string(16, '\0'));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "nope.bin"}}), StatusCode::kNotFound,
                         "initializer 'w': external data file"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "w.bin"}, {"offset", "12"}}),
                         StatusCode::kInvalidModel,
                         "initializer 'w': external data [12, 12 + 8) lies outside"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "w.bin"}, {"offset", "18446744073709551615"}}),
                         StatusCode::kInvalidModel, "lies outside"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "w.bin"}, {"length", "12"}}),
                         StatusCode::kInvalidModel,
                         "initializer 'w': external data length is 12 bytes, expected 8 for float32[2]"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "w.bin"}, {"offset", "-4"}}),
                         StatusCode::kInvalidModel, "is not a non-negative integer"));
  EXPECT_TRUE(fails_with(load_with_entries(dir, {{"location", "w.bin"}, {"offset", "4x"}}),
                         StatusCode::kInvalidModel, "is not a non-negative integer"));
  // In range: loads.
  EXPECT_TRUE(load_with_entries(dir, {{"location", "w.bin"}, {"offset", "8"}}).ok());
}

TEST(OnnxExternalData, RefusedWhenLoadingFromMemory) {
  const std::string bytes =
      model_with({{"w", tb::tensor_external("w", tb::kOnnxFloat, {2}, {{"location", "w.bin"}})}});
  auto buffer = std::make_shared<std::string>(bytes);
  auto r = load_onnx_model_from_memory(buffer->data(), buffer->size(), "mem.onnx", "", buffer);
  EXPECT_TRUE(fails_with(r, StatusCode::kUnsupported, "mem.onnx: initializer 'w': data is in external file"));
}

TEST(OnnxExternalData, ZeroSizedTensorsNeedNoFile) {
  tb::TempDir dir;
  auto r = load_with_entries(dir, {{"location", "absent.bin"}}, {0});
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(initializer(**r, "w").numel(), 0);
}

TEST(OnnxExternalData, NormalizeLocation) {
  EXPECT_EQ(*normalize_external_location("a/./b/../c.bin"), "a/c.bin");
  EXPECT_EQ(*normalize_external_location("w.bin"), "w.bin");
  EXPECT_FALSE(normalize_external_location("").ok());
  EXPECT_FALSE(normalize_external_location("a/../../b").ok());
  EXPECT_FALSE(normalize_external_location("/abs").ok());
}

}  // namespace
}  // namespace fastserve
