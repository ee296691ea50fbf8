// Initializer decoding: raw_data wrapped in place (zero copy), the typed
// fields of every dtype in packed and unpacked form, and the errors that
// name the tensor.
#include <gtest/gtest.h>

#include <cstring>

#include "onnx/onnx_reader.h"
#include "tests/onnx/proto_builder.h"
#include "tests/onnx/temp_dir.h"

namespace fastserve {
namespace {

namespace tb = testing;
using tb::Dim;
using tb::GraphParts;
using tb::ProtoWriter;

// A model whose only content is initializer `t` (named "w"), which is also
// the graph output so the graph is well formed.
std::string model_with_initializer(const ProtoWriter& t) {
  GraphParts g;
  g.initializers = {t};
  g.outputs = {tb::value_info_no_shape("w", tb::kOnnxFloat)};
  return tb::model(tb::graph(g));
}

Result<std::shared_ptr<Model>> load_bytes(const std::string& bytes) {
  auto buffer = std::make_shared<std::string>(bytes);
  return load_onnx_model_from_memory(buffer->data(), buffer->size(), "w.onnx", "", buffer);
}

Result<Tensor> load_initializer(const ProtoWriter& t) {
  FS_ASSIGN_OR_RETURN(auto m, load_bytes(model_with_initializer(t)));
  const ValueId id = m->graph.find_value("w");
  if (id == kNoValue) return internal_error("no value 'w'");
  return m->graph.values[static_cast<size_t>(id)].initializer;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  std::vector<T> out(static_cast<size_t>(t.numel()));
  std::memcpy(out.data(), t.raw_data(), out.size() * sizeof(T));
  return out;
}

// A float TensorProto named "w" whose raw_data starts at an offset with
// the given remainder mod 4 within the model bytes. A doc_string before
// raw_data shifts it; returns the model bytes and the raw_data offset.
std::pair<std::string, size_t> model_with_raw_at(size_t remainder, const std::vector<float>& values) {
  const std::string raw = tb::to_bytes(values);
  for (size_t pad = 0; pad < 16; ++pad) {
    ProtoWriter t = tb::tensor_header("w", tb::kOnnxFloat, {static_cast<int64_t>(values.size())});
    t.bytes(12, std::string(pad, 'p'));  // doc_string
    t.bytes(9, raw);
    const std::string bytes = model_with_initializer(t);
    const size_t offset = bytes.find(raw);
    if (offset % 4 == remainder) return {bytes, offset};
  }
  ADD_FAILURE() << "no padding gives remainder " << remainder;
  return {};
}

TEST(OnnxTensorReader, AlignedRawDataIsWrappedInPlace) {
  const std::vector<float> values{1.f, -2.f, 3.5f, 4.f, 5.f, 6.f};
  auto [bytes, offset] = model_with_raw_at(0, values);
  // std::string storage is at least 16-byte aligned, so offset % 4 decides.
  auto buffer = std::make_shared<std::string>(bytes);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(buffer->data()) % 16, 0u);
  auto m = load_onnx_model_from_memory(buffer->data(), buffer->size(), "w.onnx", "", buffer);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  const Tensor& w = (*m)->graph.values[static_cast<size_t>((*m)->graph.find_value("w"))].initializer;
  EXPECT_EQ(w.raw_data(), buffer->data() + offset);
  EXPECT_EQ(values_of<float>(w), values);
}

TEST(OnnxTensorReader, MisalignedRawDataIsCopiedToAlignedStorage) {
  const std::vector<float> values{1.f, -2.f, 3.5f};
  for (size_t remainder : {1u, 2u, 3u}) {
    auto [bytes, offset] = model_with_raw_at(remainder, values);
    auto buffer = std::make_shared<std::string>(bytes);
    auto m = load_onnx_model_from_memory(buffer->data(), buffer->size(), "w.onnx", "", buffer);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    const Tensor& w = (*m)->graph.values[static_cast<size_t>((*m)->graph.find_value("w"))].initializer;
    const char* p = static_cast<const char*>(w.raw_data());
    EXPECT_TRUE(p < buffer->data() || p >= buffer->data() + buffer->size()) << "remainder " << remainder;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignof(float), 0u);
    EXPECT_EQ(values_of<float>(w), values);
  }
}

TEST(OnnxTensorReader, RawDataFromAFilePointsIntoTheMapping) {
  const std::vector<float> values{0.f, 1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f};
  auto [bytes, offset] = model_with_raw_at(0, values);
  tb::TempDir dir;
  const std::string path = dir.write("w.onnx", bytes);
  Tensor w;
  {
    auto m = load_onnx_model(path);
    ASSERT_TRUE(m.ok()) << m.status().to_string();
    ASSERT_FALSE((*m)->mappings.empty());
    // The first mapping is the model file; its owner's get() is the mapped base.
    const auto* base = static_cast<const char*>((*m)->mappings[0].get());
    w = (*m)->graph.values[static_cast<size_t>((*m)->graph.find_value("w"))].initializer;
    EXPECT_EQ(static_cast<const char*>(w.raw_data()), base + offset);
  }
  // The tensor keeps the mapping alive after the model is gone.
  EXPECT_EQ(values_of<float>(w), values);
}

TEST(OnnxTensorReader, TypedFieldsPackedAndUnpacked) {
  // float_data (4), packed and unpacked.
  ProtoWriter f_packed = tb::tensor_header("w", tb::kOnnxFloat, {2, 2});
  f_packed.packed_floats(4, {1.f, 2.f, 3.f, 4.f});
  ProtoWriter f_unpacked = tb::tensor_header("w", tb::kOnnxFloat, {2, 2});
  for (float v : {1.f, 2.f}) f_unpacked.float32(4, v);
  f_unpacked.packed_floats(4, {3.f, 4.f});  // mixed encodings concatenate
  for (const ProtoWriter& t : {f_packed, f_unpacked}) {
    auto r = load_initializer(t);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->dtype(), DType::kF32);
    EXPECT_EQ(r->shape(), (Shape{2, 2}));
    EXPECT_EQ(values_of<float>(*r), (std::vector<float>{1.f, 2.f, 3.f, 4.f}));
  }

  // int64_data (7)
  ProtoWriter i64_packed = tb::tensor_header("w", tb::kOnnxInt64, {3});
  i64_packed.packed_varints(7, {-1, 0, 1ll << 50});
  ProtoWriter i64_unpacked = tb::tensor_header("w", tb::kOnnxInt64, {3});
  for (int64_t v : {int64_t{-1}, int64_t{0}, int64_t{1} << 50}) i64_unpacked.int64(7, v);
  for (const ProtoWriter& t : {i64_packed, i64_unpacked}) {
    auto r = load_initializer(t);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_EQ(r->dtype(), DType::kI64);
    EXPECT_EQ(values_of<int64_t>(*r), (std::vector<int64_t>{-1, 0, 1ll << 50}));
  }

  // int32_data (5): int32, and the narrower types it also carries.
  ProtoWriter i32 = tb::tensor_header("w", tb::kOnnxInt32, {3});
  i32.packed_varints(5, {-5, 7, 2147483647});
  auto r32 = load_initializer(i32);
  ASSERT_TRUE(r32.ok()) << r32.status().to_string();
  EXPECT_EQ(values_of<int32_t>(*r32), (std::vector<int32_t>{-5, 7, 2147483647}));

  ProtoWriter i32_unpacked = tb::tensor_header("w", tb::kOnnxInt32, {2});
  i32_unpacked.int64(5, -3).int64(5, 4);
  auto r32u = load_initializer(i32_unpacked);
  ASSERT_TRUE(r32u.ok());
  EXPECT_EQ(values_of<int32_t>(*r32u), (std::vector<int32_t>{-3, 4}));

  // float16 as bit patterns in int32_data: 1.0 = 0x3c00, -2.0 = 0xc000.
  ProtoWriter f16 = tb::tensor_header("w", tb::kOnnxFloat16, {2});
  f16.packed_varints(5, {0x3c00, 0xc000});
  auto rf16 = load_initializer(f16);
  ASSERT_TRUE(rf16.ok()) << rf16.status().to_string();
  EXPECT_EQ(rf16->dtype(), DType::kF16);
  EXPECT_EQ(half_to_float(values_of<uint16_t>(*rf16)[0]), 1.0f);
  EXPECT_EQ(half_to_float(values_of<uint16_t>(*rf16)[1]), -2.0f);

  ProtoWriter bf16 = tb::tensor_header("w", tb::kOnnxBfloat16, {1});
  bf16.packed_varints(5, {0x3fc0});  // 1.5
  auto rbf16 = load_initializer(bf16);
  ASSERT_TRUE(rbf16.ok());
  EXPECT_EQ(bf16_to_float(values_of<uint16_t>(*rbf16)[0]), 1.5f);

  // bool in int32_data: any non-zero is true.
  ProtoWriter b = tb::tensor_header("w", tb::kOnnxBool, {3});
  b.int64(5, 1).int64(5, 0).int64(5, 5);
  auto rb = load_initializer(b);
  ASSERT_TRUE(rb.ok()) << rb.status().to_string();
  ASSERT_EQ(rb->dtype(), DType::kBool);
  EXPECT_EQ(rb->data<bool>()[0], true);
  EXPECT_EQ(rb->data<bool>()[1], false);
  EXPECT_EQ(rb->data<bool>()[2], true);

  ProtoWriter i8 = tb::tensor_header("w", tb::kOnnxInt8, {2});
  i8.packed_varints(5, {-128, 127});
  auto ri8 = load_initializer(i8);
  ASSERT_TRUE(ri8.ok());
  EXPECT_EQ(values_of<int8_t>(*ri8), (std::vector<int8_t>{-128, 127}));

  ProtoWriter u8 = tb::tensor_header("w", tb::kOnnxUint8, {2});
  u8.packed_varints(5, {0, 255});
  auto ru8 = load_initializer(u8);
  ASSERT_TRUE(ru8.ok());
  EXPECT_EQ(values_of<uint8_t>(*ru8), (std::vector<uint8_t>{0, 255}));

  ProtoWriter i16 = tb::tensor_header("w", tb::kOnnxInt16, {2});
  i16.packed_varints(5, {-32768, 1});
  auto ri16 = load_initializer(i16);
  ASSERT_TRUE(ri16.ok());
  EXPECT_EQ(values_of<int16_t>(*ri16), (std::vector<int16_t>{-32768, 1}));

  ProtoWriter u16 = tb::tensor_header("w", tb::kOnnxUint16, {1});
  u16.packed_varints(5, {65535});
  auto ru16 = load_initializer(u16);
  ASSERT_TRUE(ru16.ok());
  EXPECT_EQ(values_of<uint16_t>(*ru16), (std::vector<uint16_t>{65535}));

  // double_data (10), uint64_data (11) for uint64 and uint32.
  ProtoWriter f64 = tb::tensor_header("w", tb::kOnnxDouble, {2});
  f64.packed_doubles(10, {0.5, -1e300});
  auto rf64 = load_initializer(f64);
  ASSERT_TRUE(rf64.ok());
  EXPECT_EQ(values_of<double>(*rf64), (std::vector<double>{0.5, -1e300}));

  ProtoWriter u64 = tb::tensor_header("w", tb::kOnnxUint64, {1});
  u64.varint(11, ~uint64_t{0});
  auto ru64 = load_initializer(u64);
  ASSERT_TRUE(ru64.ok());
  EXPECT_EQ(values_of<uint64_t>(*ru64), (std::vector<uint64_t>{~uint64_t{0}}));

  ProtoWriter u32 = tb::tensor_header("w", tb::kOnnxUint32, {1});
  u32.varint(11, 4000000000u);
  auto ru32 = load_initializer(u32);
  ASSERT_TRUE(ru32.ok());
  EXPECT_EQ(values_of<uint32_t>(*ru32), (std::vector<uint32_t>{4000000000u}));
}

TEST(OnnxTensorReader, RawDataOfOtherTypes) {
  auto r =
      load_initializer(tb::tensor_raw("w", tb::kOnnxInt64, {2}, tb::to_bytes(std::vector<int64_t>{-9, 9})));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(values_of<int64_t>(*r), (std::vector<int64_t>{-9, 9}));

  // Bool bytes other than 0/1 would be undefined behaviour to read as bool:
  // they are normalized.
  auto b = load_initializer(tb::tensor_raw("w", tb::kOnnxBool, {3}, std::string("\x00\x01\x07", 3)));
  ASSERT_TRUE(b.ok()) << b.status().to_string();
  EXPECT_EQ(values_of<uint8_t>(*b), (std::vector<uint8_t>{0, 1, 1}));

  auto f16 = load_initializer(tb::tensor_raw("w", tb::kOnnxFloat16, {1}, std::string("\x00\x3c", 2)));
  ASSERT_TRUE(f16.ok());
  EXPECT_EQ(half_to_float(values_of<uint16_t>(*f16)[0]), 1.0f);
}

TEST(OnnxTensorReader, EmptyAndScalarTensors) {
  auto empty = load_initializer(tb::tensor_header("w", tb::kOnnxFloat, {0, 3}));
  ASSERT_TRUE(empty.ok()) << empty.status().to_string();
  EXPECT_EQ(empty->shape(), (Shape{0, 3}));
  EXPECT_EQ(empty->numel(), 0);

  auto scalar =
      load_initializer(tb::tensor_raw("w", tb::kOnnxInt64, {}, tb::to_bytes(std::vector<int64_t>{42})));
  ASSERT_TRUE(scalar.ok()) << scalar.status().to_string();
  EXPECT_EQ(scalar->rank(), 0u);
  EXPECT_EQ(values_of<int64_t>(*scalar), (std::vector<int64_t>{42}));
}

::testing::AssertionResult fails_with(const Result<Tensor>& r, StatusCode code, const std::string& fragment) {
  if (r.ok()) return ::testing::AssertionFailure() << "loaded, expected '" << fragment << "'";
  if (r.status().code() != code || r.status().message().find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << status_code_name(r.status().code()) << ": " << r.status().message();
  }
  return ::testing::AssertionSuccess();
}

TEST(OnnxTensorReader, SizeMismatchNamesTheInitializer) {
  EXPECT_TRUE(
      fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxFloat, {6, 6}, std::string(100, '\0'))),
                 StatusCode::kInvalidModel,
                 "w.onnx: initializer 'w': raw_data has 100 bytes, expected 144 for float32[6,6]"));
  ProtoWriter short_typed = tb::tensor_header("w", tb::kOnnxFloat, {2, 3});
  short_typed.packed_floats(4, {1, 2, 3, 4, 5});
  EXPECT_TRUE(fails_with(load_initializer(short_typed), StatusCode::kInvalidModel,
                         "initializer 'w': float_data has 5 values, expected 6 for float32[2,3]"));
  EXPECT_TRUE(fails_with(load_initializer(tb::tensor_header("w", tb::kOnnxFloat, {2})),
                         StatusCode::kInvalidModel, "initializer 'w': no data"));
  ProtoWriter wrong_field = tb::tensor_header("w", tb::kOnnxInt64, {1});
  wrong_field.packed_floats(4, {1.f});
  EXPECT_TRUE(fails_with(load_initializer(wrong_field), StatusCode::kInvalidModel,
                         "int64 data must be in raw_data or int64_data"));
  EXPECT_TRUE(fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxFloat, {-1}, "")),
                         StatusCode::kInvalidModel, "initializer 'w': negative dim -1"));
  // A huge claimed shape is rejected before anything is allocated.
  EXPECT_TRUE(fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxFloat, {1ll << 40, 1ll << 40}, "")),
                         StatusCode::kInvalidModel, "initializer 'w'"));
  // A shape whose element count overflows 64 bits.
  EXPECT_TRUE(
      fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxFloat, {1ll << 31, 1ll << 31, 1ll << 31}, "")),
                 StatusCode::kInvalidModel, "initializer 'w': too many elements"));
}

TEST(OnnxTensorReader, UnsupportedTypesNameTheTensor) {
  ProtoWriter s = tb::tensor_header("w", tb::kOnnxString, {1});
  s.bytes(6, "text");
  EXPECT_TRUE(fails_with(load_initializer(s), StatusCode::kUnsupported,
                         "initializer 'w': string tensors are not supported"));
  EXPECT_TRUE(fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxComplex64, {1}, std::string(8, '\0'))),
                         StatusCode::kUnsupported,
                         "initializer 'w': data type 14 (COMPLEX64) is not supported"));
  EXPECT_TRUE(
      fails_with(load_initializer(tb::tensor_raw("w", tb::kOnnxFloat6E2M3, {1}, std::string(1, '\0'))),
                 StatusCode::kUnsupported, "data type 27 (FLOAT6E2M3) is not supported"));
  EXPECT_TRUE(fails_with(load_initializer(tb::tensor_raw("w", 0, {1}, "")), StatusCode::kUnsupported,
                         "data type 0 (UNDEFINED)"));
  ProtoWriter segmented = tb::tensor_f32("w", {1}, {1.f});
  segmented.message(3, ProtoWriter().int64(1, 0).int64(2, 1));
  EXPECT_TRUE(fails_with(load_initializer(segmented), StatusCode::kUnsupported, "segmented"));
}

TEST(OnnxTensorReader, InitializerWithoutNameIsAnError) {
  GraphParts g;
  g.initializers = {tb::tensor_f32("", {1}, {1.f})};
  auto r = load_bytes(tb::model(tb::graph(g)));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("an initializer has no name"), std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace fastserve
