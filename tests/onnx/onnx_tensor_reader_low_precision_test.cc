// Initializers and graph inputs of the low-precision types: float8 in
// raw_data and int32_data, sub-byte types packed in raw_data, int32_data
// and external data (unpacked on load), and size errors that say "packed".
#include <gtest/gtest.h>

#include <cstring>

#include "fastserve/low_precision.h"
#include "onnx/onnx_reader.h"
#include "tests/onnx/proto_builder.h"
#include "tests/onnx/temp_dir.h"

namespace fastserve {
namespace {

namespace tb = testing;
using tb::GraphParts;
using tb::ProtoWriter;

std::string model_with_initializer(const ProtoWriter& t, int32_t type) {
  GraphParts g;
  g.initializers = {t};
  g.outputs = {tb::value_info_no_shape("w", type)};
  return tb::model(tb::graph(g));
}

Result<Tensor> load_from(const std::string& bytes) {
  auto buffer = std::make_shared<std::string>(bytes);
  FS_ASSIGN_OR_RETURN(auto m,
                      load_onnx_model_from_memory(buffer->data(), buffer->size(), "w.onnx", "", buffer));
  const ValueId id = m->graph.find_value("w");
  if (id == kNoValue) return internal_error("no value 'w'");
  return m->graph.values[static_cast<size_t>(id)].initializer;
}

Result<Tensor> load_initializer(const ProtoWriter& t, int32_t type) {
  return load_from(model_with_initializer(t, type));
}

std::vector<uint8_t> bytes_of(const Tensor& t) {
  const auto* p = static_cast<const uint8_t*>(t.raw_data());
  return std::vector<uint8_t>(p, p + t.nbytes());
}

TEST(OnnxTensorReaderLowPrecision, Float8InRawDataAndInt32Data) {
  const std::string raw("\x7E\x80\x01", 3);
  auto r = load_initializer(tb::tensor_raw("w", tb::kOnnxFloat8E4M3, {3}, raw), tb::kOnnxFloat8E4M3);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->dtype(), DType::kF8E4M3FN);
  EXPECT_EQ(bytes_of(*r), (std::vector<uint8_t>{0x7E, 0x80, 0x01}));
  EXPECT_EQ(r->element_as_double(0), 448.0);

  ProtoWriter typed = tb::tensor_header("w", tb::kOnnxFloat8E5M2, {2});
  typed.packed_varints(5, {0x7C, 0xFB});
  auto t = load_initializer(typed, tb::kOnnxFloat8E5M2);
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->dtype(), DType::kF8E5M2);
  EXPECT_EQ(bytes_of(*t), (std::vector<uint8_t>{0x7C, 0xFB}));

  ProtoWriter e8 = tb::tensor_header("w", tb::kOnnxFloat8E8M0, {1});
  e8.packed_varints(5, {127});
  auto e = load_initializer(e8, tb::kOnnxFloat8E8M0);
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  EXPECT_EQ(e->element_as_double(0), 1.0);
}

TEST(OnnxTensorReaderLowPrecision, SubByteRawDataIsUnpacked) {
  // int4 [-8, 7, -1, 0, 3] packed low nibble first: 0x78, 0x0F, 0x03.
  auto i4 = load_initializer(tb::tensor_raw("w", tb::kOnnxInt4, {5}, std::string("\x78\x0F\x03", 3)),
                             tb::kOnnxInt4);
  ASSERT_TRUE(i4.ok()) << i4.status().to_string();
  EXPECT_EQ(i4->dtype(), DType::kI4);
  EXPECT_EQ(i4->shape(), (Shape{5}));
  ASSERT_EQ(i4->nbytes(), 5u);
  EXPECT_EQ(bytes_of(*i4), (std::vector<uint8_t>{0xF8, 0x07, 0xFF, 0x00, 0x03}));
  EXPECT_EQ(i4->element_as_int64(0), -8);
  EXPECT_EQ(i4->element_as_int64(2), -1);

  auto u4 =
      load_initializer(tb::tensor_raw("w", tb::kOnnxUint4, {2, 1}, std::string("\xF3", 1)), tb::kOnnxUint4);
  ASSERT_TRUE(u4.ok()) << u4.status().to_string();
  EXPECT_EQ(bytes_of(*u4), (std::vector<uint8_t>{3, 15}));

  // float4: codes, one per byte; 0x7 = 6, 0x9 = -0.5.
  auto f4 = load_initializer(tb::tensor_raw("w", tb::kOnnxFloat4E2M1, {3}, std::string("\x97\x02", 2)),
                             tb::kOnnxFloat4E2M1);
  ASSERT_TRUE(f4.ok()) << f4.status().to_string();
  EXPECT_EQ(bytes_of(*f4), (std::vector<uint8_t>{0x7, 0x9, 0x2}));
  EXPECT_EQ(f4->element_as_double(0), 6.0);
  EXPECT_EQ(f4->element_as_double(1), -0.5);

  // int2 [1, -2, -1, 0, 1]: 0b00111001 | ..., then 0x01.
  auto i2 =
      load_initializer(tb::tensor_raw("w", tb::kOnnxInt2, {5}, std::string("\x39\x01", 2)), tb::kOnnxInt2);
  ASSERT_TRUE(i2.ok()) << i2.status().to_string();
  EXPECT_EQ(bytes_of(*i2), (std::vector<uint8_t>{0x01, 0xFE, 0xFF, 0x00, 0x01}));
  auto u2 =
      load_initializer(tb::tensor_raw("w", tb::kOnnxUint2, {4}, std::string("\xE4", 1)), tb::kOnnxUint2);
  ASSERT_TRUE(u2.ok()) << u2.status().to_string();
  EXPECT_EQ(bytes_of(*u2), (std::vector<uint8_t>{0, 1, 2, 3}));
}

TEST(OnnxTensorReaderLowPrecision, SubByteInt32DataHoldsPackedBytes) {
  ProtoWriter t = tb::tensor_header("w", tb::kOnnxInt4, {3});
  t.packed_varints(5, {0x78, 0x0F});
  auto r = load_initializer(t, tb::kOnnxInt4);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(bytes_of(*r), (std::vector<uint8_t>{0xF8, 0x07, 0xFF}));

  ProtoWriter u2 = tb::tensor_header("w", tb::kOnnxUint2, {6});
  u2.packed_varints(5, {0xE4, 0x0B});
  auto r2 = load_initializer(u2, tb::kOnnxUint2);
  ASSERT_TRUE(r2.ok()) << r2.status().to_string();
  EXPECT_EQ(bytes_of(*r2), (std::vector<uint8_t>{0, 1, 2, 3, 3, 2}));

  // One entry per element would be the wrong count: it names the packed one.
  ProtoWriter wrong = tb::tensor_header("w", tb::kOnnxInt4, {3});
  wrong.packed_varints(5, {1, 2, 3});
  auto bad = load_initializer(wrong, tb::kOnnxInt4);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("int32_data has 3 values, expected 2 for int4[3] (packed)"),
            std::string::npos)
      << bad.status().message();
}

TEST(OnnxTensorReaderLowPrecision, PackedSizeMismatchNamesTheInitializer) {
  auto r = load_initializer(tb::tensor_raw("w", tb::kOnnxUint4, {5}, std::string(2, '\0')), tb::kOnnxUint4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel);
  EXPECT_NE(
      r.status().message().find("initializer 'w': raw_data has 2 bytes, expected 3 for uint4[5] (packed)"),
      std::string::npos)
      << r.status().message();
  // Unpacked length (one byte per element) is refused too: the wire form is packed.
  EXPECT_FALSE(
      load_initializer(tb::tensor_raw("w", tb::kOnnxInt2, {4}, std::string(4, '\0')), tb::kOnnxInt2).ok());
  auto empty = load_initializer(tb::tensor_raw("w", tb::kOnnxInt4, {0, 3}, ""), tb::kOnnxInt4);
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->numel(), 0);
}

TEST(OnnxTensorReaderLowPrecision, SubByteExternalDataIsUnpacked) {
  tb::TempDir dir;
  dir.write("w.bin", std::string("\x21\x43\x05", 3));  // uint4 1..5
  GraphParts g;
  g.initializers = {tb::tensor_external("w", tb::kOnnxUint4, {5}, {{"location", "w.bin"}, {"length", "3"}})};
  g.outputs = {tb::value_info_no_shape("w", tb::kOnnxUint4)};
  const std::string path = dir.write("model.onnx", tb::model(tb::graph(g)));
  auto m = load_onnx_model(path);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const Tensor& w = (*m)->graph.values[static_cast<size_t>((*m)->graph.find_value("w"))].initializer;
  EXPECT_EQ(bytes_of(w), (std::vector<uint8_t>{1, 2, 3, 4, 5}));
}

TEST(OnnxTensorReaderLowPrecision, GraphInputsOfEveryNewTypeLoad) {
  for (int32_t type = 17; type <= 26; ++type) {
    GraphParts g;
    g.inputs = {tb::value_info("x", type, {2})};
    g.nodes = {tb::node("Identity", {"x"}, {"y"})};
    g.outputs = {tb::value_info("y", type, {2})};
    const std::string bytes = tb::model(tb::graph(g), {{"", 25}}, 11);
    auto buffer = std::make_shared<std::string>(bytes);
    auto m = load_onnx_model_from_memory(buffer->data(), buffer->size(), "m.onnx", "", buffer);
    ASSERT_TRUE(m.ok()) << type << ": " << m.status().to_string();
    EXPECT_EQ(
        static_cast<int32_t>((*m)->graph.values[static_cast<size_t>((*m)->graph.find_value("x"))].dtype),
        type);
  }
}

}  // namespace
}  // namespace fastserve
