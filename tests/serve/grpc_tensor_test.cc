// Tests for src/serve/grpc/grpc_tensor: ModelInferRequest -> InferRequest for
// every datatype in raw and typed form, the errors (each naming its tensor or
// parameter), InferResponse -> ModelInferResponse, and the status mapping.
#include "serve/grpc/grpc_tensor.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace fastserve::serve {
namespace {

using inference::ModelInferRequest;

struct TypeCase {
  const char* name;
  DType dtype;
};
const std::vector<TypeCase> kAllTypes = {
    {"BOOL", DType::kBool}, {"UINT8", DType::kU8},   {"UINT16", DType::kU16}, {"UINT32", DType::kU32},
    {"UINT64", DType::kU64}, {"INT8", DType::kI8},   {"INT16", DType::kI16},  {"INT32", DType::kI32},
    {"INT64", DType::kI64},  {"FP16", DType::kF16},  {"BF16", DType::kBF16},  {"FP32", DType::kF32},
    {"FP64", DType::kF64},
};

ModelInferRequest::InferInputTensor* add_input(ModelInferRequest& r, const std::string& name,
                                               const std::string& datatype, std::vector<int64_t> shape) {
  auto* in = r.add_inputs();
  in->set_name(name);
  in->set_datatype(datatype);
  for (int64_t d : shape) in->add_shape(d);
  return in;
}

ModelInferRequest base_request() {
  ModelInferRequest r;
  r.set_model_name("m");
  return r;
}

// Expects the conversion to fail with `code` and a message containing each of `parts`.
void expect_error(const ModelInferRequest& r, StatusCode code, const std::vector<std::string>& parts) {
  auto result = infer_request_from_proto(r);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), code) << result.status().message();
  for (const std::string& p : parts)
    EXPECT_NE(result.status().message().find(p), std::string::npos)
        << "message '" << result.status().message() << "' lacks '" << p << "'";
}

TEST(GrpcTensor, DatatypeNamesMapToDtypes) {
  for (const TypeCase& c : kAllTypes) {
    EXPECT_EQ(dtype_from_v2_name(c.name), c.dtype) << c.name;
    EXPECT_STREQ(dtype_v2_name(c.dtype), c.name);  // and back, as responses name them
  }
  EXPECT_EQ(dtype_from_v2_name("BYTES"), DType::kString);
  EXPECT_EQ(dtype_from_v2_name("fp32"), DType::kUndefined);
  EXPECT_EQ(dtype_from_v2_name(""), DType::kUndefined);
}

TEST(GrpcTensor, DecodesRawInputsOfEveryDatatype) {
  std::mt19937 rng(1234);
  for (const TypeCase& c : kAllTypes) {
    ModelInferRequest r = base_request();
    add_input(r, "x", c.name, {2, 3});
    std::string raw(6 * dtype_size(c.dtype), '\0');
    for (char& b : raw) b = static_cast<char>(rng() & 0xff);
    if (c.dtype == DType::kBool)
      for (char& b : raw) b = static_cast<char>(b & 1);
    *r.add_raw_input_contents() = raw;

    auto result = infer_request_from_proto(r);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status().message();
    ASSERT_EQ(result->inputs.size(), 1u);
    const NamedTensor& t = result->inputs[0];
    EXPECT_EQ(t.name, "x");
    EXPECT_EQ(t.tensor.dtype(), c.dtype) << c.name;
    EXPECT_EQ(t.tensor.shape(), Shape({2, 3})) << c.name;
    ASSERT_EQ(t.tensor.nbytes(), raw.size()) << c.name;
    EXPECT_EQ(std::memcmp(t.tensor.raw_data(), raw.data(), raw.size()), 0) << c.name;
  }
}

TEST(GrpcTensor, RawBoolBytesAreNormalisedToTrueAndFalse) {
  ModelInferRequest r = base_request();
  add_input(r, "mask", "BOOL", {4});
  *r.add_raw_input_contents() = std::string("\x00\x07\x01\xff", 4);
  auto result = infer_request_from_proto(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const uint8_t* bytes = static_cast<const uint8_t*>(result->inputs[0].tensor.raw_data());
  EXPECT_EQ(bytes[0], 0);
  EXPECT_EQ(bytes[1], 1);
  EXPECT_EQ(bytes[2], 1);
  EXPECT_EQ(bytes[3], 1);
}

TEST(GrpcTensor, RawInputsFollowInputOrder) {
  ModelInferRequest r = base_request();
  add_input(r, "a", "FP32", {2});
  add_input(r, "b", "INT64", {1, 3});
  const std::vector<float> a = {1.5f, -2.0f};
  const std::vector<int64_t> b = {7, -8, 9};
  r.add_raw_input_contents()->assign(reinterpret_cast<const char*>(a.data()), a.size() * sizeof(float));
  r.add_raw_input_contents()->assign(reinterpret_cast<const char*>(b.data()), b.size() * sizeof(int64_t));
  auto result = infer_request_from_proto(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->inputs.size(), 2u);
  EXPECT_EQ(result->inputs[0].name, "a");
  EXPECT_EQ(result->inputs[0].tensor.data<float>()[1], -2.0f);
  EXPECT_EQ(result->inputs[1].name, "b");
  EXPECT_EQ(result->inputs[1].tensor.shape(), Shape({1, 3}));
  EXPECT_EQ(result->inputs[1].tensor.data<int64_t>()[2], 9);
}

// Values 0..5 (negated where signed) in the typed field of each datatype.
void fill_typed(ModelInferRequest::InferInputTensor* in, DType t) {
  auto* c = in->mutable_contents();
  for (int i = 0; i < 6; ++i) {
    const int s = (i % 2) ? -i : i;
    switch (t) {
      case DType::kBool: c->add_bool_contents(i % 2 == 1); break;
      case DType::kI8:
      case DType::kI16:
      case DType::kI32: c->add_int_contents(s); break;
      case DType::kI64: c->add_int64_contents(s * 1000000000000LL); break;
      case DType::kU8:
      case DType::kU16:
      case DType::kU32: c->add_uint_contents(static_cast<uint32_t>(i * 40)); break;
      case DType::kU64: c->add_uint64_contents(static_cast<uint64_t>(i) << 40); break;
      case DType::kF32: c->add_fp32_contents(static_cast<float>(s) + 0.25f); break;
      case DType::kF64: c->add_fp64_contents(static_cast<double>(s) + 0.125); break;
      default: break;
    }
  }
}

double expected_typed(DType t, int i) {
  const int s = (i % 2) ? -i : i;
  switch (t) {
    case DType::kBool: return i % 2 == 1 ? 1 : 0;
    case DType::kI8:
    case DType::kI16:
    case DType::kI32: return s;
    case DType::kI64: return static_cast<double>(s * 1000000000000LL);
    case DType::kU8:
    case DType::kU16:
    case DType::kU32: return i * 40;
    case DType::kU64: return static_cast<double>(static_cast<uint64_t>(i) << 40);
    case DType::kF32: return s + 0.25;
    case DType::kF64: return s + 0.125;
    default: return 0;
  }
}

TEST(GrpcTensor, DecodesTypedContentsOfEveryDatatypeWithATypedField) {
  for (const TypeCase& c : kAllTypes) {
    if (c.dtype == DType::kF16 || c.dtype == DType::kBF16) continue;  // raw only, tested below
    ModelInferRequest r = base_request();
    fill_typed(add_input(r, "x", c.name, {3, 2}), c.dtype);
    auto result = infer_request_from_proto(r);
    ASSERT_TRUE(result.ok()) << c.name << ": " << result.status().message();
    const Tensor& t = result->inputs[0].tensor;
    EXPECT_EQ(t.dtype(), c.dtype) << c.name;
    EXPECT_EQ(t.shape(), Shape({3, 2})) << c.name;
    for (int i = 0; i < 6; ++i) EXPECT_EQ(t.element_as_double(i), expected_typed(c.dtype, i)) << c.name << " [" << i << "]";
  }
}

TEST(GrpcTensor, Fp16AndBf16MustBeRaw) {
  for (const char* type : {"FP16", "BF16"}) {
    ModelInferRequest r = base_request();
    add_input(r, "half_in", type, {2})->mutable_contents()->add_fp32_contents(1.0f);
    expect_error(r, StatusCode::kInvalidArgument, {"'half_in'", type, "raw_input_contents"});
  }
}

TEST(GrpcTensor, EmptyTensorNeedsNoData) {
  ModelInferRequest r = base_request();
  add_input(r, "empty", "FP32", {0, 3});
  auto result = infer_request_from_proto(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->inputs[0].tensor.shape(), Shape({0, 3}));
  EXPECT_EQ(result->inputs[0].tensor.numel(), 0);
}

TEST(GrpcTensor, BytesInputIsUnsupportedAndNamed) {
  ModelInferRequest r = base_request();
  add_input(r, "text", "BYTES", {1})->mutable_contents()->add_bytes_contents("hi");
  expect_error(r, StatusCode::kUnsupported, {"'text'", "BYTES"});
  EXPECT_EQ(grpc_code_for(infer_request_from_proto(r).status()), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(GrpcTensor, UnknownOrMissingDatatypeNamesTheInput) {
  ModelInferRequest r = base_request();
  add_input(r, "x", "FLOAT32", {1})->mutable_contents()->add_fp32_contents(1);
  expect_error(r, StatusCode::kInvalidArgument, {"'x'", "unknown datatype", "'FLOAT32'"});
  ModelInferRequest r2 = base_request();
  add_input(r2, "y", "", {1})->mutable_contents()->add_fp32_contents(1);
  expect_error(r2, StatusCode::kInvalidArgument, {"'y'", "datatype is missing"});
}

TEST(GrpcTensor, NegativeDimNamesTheInputAndDim) {
  ModelInferRequest r = base_request();
  add_input(r, "x", "FP32", {1, -1});
  r.add_raw_input_contents();
  expect_error(r, StatusCode::kInvalidArgument, {"'x'", "[1,-1]", "dim 1"});
}

TEST(GrpcTensor, RawByteSizeMismatchNamesTheInputAndSizes) {
  ModelInferRequest r = base_request();
  add_input(r, "a", "FP32", {1});
  add_input(r, "img", "FP32", {1, 28, 28});
  r.add_raw_input_contents()->assign(4, '\0');
  r.add_raw_input_contents()->assign(3000, '\0');
  expect_error(r, StatusCode::kInvalidArgument, {"'img'", "3000 bytes", "[1,28,28]", "3136"});
}

TEST(GrpcTensor, RawEntryCountMustMatchInputs) {
  ModelInferRequest r = base_request();
  add_input(r, "a", "FP32", {1});
  add_input(r, "b", "FP32", {1});
  r.add_raw_input_contents()->assign(4, '\0');
  expect_error(r, StatusCode::kInvalidArgument, {"raw_input_contents has 1 entries for 2 inputs"});
}

TEST(GrpcTensor, TypedAndRawTogetherNamesTheInput) {
  ModelInferRequest r = base_request();
  add_input(r, "a", "FP32", {1})->mutable_contents()->add_fp32_contents(1);
  r.add_raw_input_contents()->assign(4, '\0');
  expect_error(r, StatusCode::kInvalidArgument, {"'a'", "contents.fp32_contents", "raw_input_contents"});
}

TEST(GrpcTensor, TypedCountMismatchNamesTheInput) {
  ModelInferRequest r = base_request();
  auto* in = add_input(r, "ids", "INT64", {2, 2});
  for (int i = 0; i < 3; ++i) in->mutable_contents()->add_int64_contents(i);
  expect_error(r, StatusCode::kInvalidArgument, {"'ids'", "int64_contents has 3 values", "[2,2]", "needs 4"});
}

TEST(GrpcTensor, WrongTypedFieldNamesBothFields) {
  ModelInferRequest r = base_request();
  add_input(r, "x", "FP32", {1})->mutable_contents()->add_int_contents(1);
  expect_error(r, StatusCode::kInvalidArgument, {"'x'", "fp32_contents", "int_contents"});
}

TEST(GrpcTensor, MissingDataNamesTheInput) {
  ModelInferRequest r = base_request();
  add_input(r, "x", "UINT8", {4});
  expect_error(r, StatusCode::kInvalidArgument, {"'x'", "no data", "uint_contents"});
}

TEST(GrpcTensor, NarrowIntegerOutOfRangeNamesInputAndIndex) {
  ModelInferRequest r = base_request();
  auto* in = add_input(r, "small", "INT8", {3});
  in->mutable_contents()->add_int_contents(1);
  in->mutable_contents()->add_int_contents(-128);
  in->mutable_contents()->add_int_contents(200);
  expect_error(r, StatusCode::kInvalidArgument, {"'small'", "int_contents[2] = 200", "INT8"});
  ModelInferRequest r2 = base_request();
  auto* u = add_input(r2, "u16", "UINT16", {1});
  u->mutable_contents()->add_uint_contents(70000);
  expect_error(r2, StatusCode::kInvalidArgument, {"'u16'", "uint_contents[0] = 70000", "UINT16"});
}

TEST(GrpcTensor, DuplicateOrUnnamedInputsAreRejected) {
  ModelInferRequest r = base_request();
  add_input(r, "x", "FP32", {1})->mutable_contents()->add_fp32_contents(1);
  add_input(r, "x", "FP32", {1})->mutable_contents()->add_fp32_contents(2);
  expect_error(r, StatusCode::kInvalidArgument, {"'x' appears twice"});
  ModelInferRequest r2 = base_request();
  add_input(r2, "", "FP32", {1})->mutable_contents()->add_fp32_contents(1);
  expect_error(r2, StatusCode::kInvalidArgument, {"input 0", "name is missing"});
}

TEST(GrpcTensor, MissingModelNameIsRejected) {
  ModelInferRequest r;
  expect_error(r, StatusCode::kInvalidArgument, {"model_name"});
}

TEST(GrpcTensor, CopiesModelVersionIdAndRequestedOutputs) {
  ModelInferRequest r = base_request();
  r.set_model_version("3");
  r.set_id("req-1");
  r.add_outputs()->set_name("probs");
  r.add_outputs()->set_name("logits");
  auto result = infer_request_from_proto(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->model, "m");
  EXPECT_EQ(result->version, "3");
  EXPECT_EQ(result->id, "req-1");
  EXPECT_EQ(result->outputs, (std::vector<std::string>{"probs", "logits"}));
  EXPECT_EQ(result->priority, 0u);
  EXPECT_EQ(result->timeout_us, 0u);
}

TEST(GrpcTensor, DuplicateOutputAndClassificationAreRejected) {
  ModelInferRequest r = base_request();
  r.add_outputs()->set_name("y");
  r.add_outputs()->set_name("y");
  expect_error(r, StatusCode::kInvalidArgument, {"'y'", "twice"});
  ModelInferRequest r2 = base_request();
  auto* o = r2.add_outputs();
  o->set_name("probs");
  (*o->mutable_parameters())["classification"].set_int64_param(3);
  expect_error(r2, StatusCode::kUnsupported, {"'probs'", "classification"});
}

TEST(GrpcTensor, ReadsPriorityAndTimeoutFromIntOrUintParameters) {
  ModelInferRequest r = base_request();
  (*r.mutable_parameters())["priority"].set_uint64_param(2);
  (*r.mutable_parameters())["timeout"].set_int64_param(5000);
  (*r.mutable_parameters())["sequence_id"].set_string_param("ignored");
  auto result = infer_request_from_proto(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->priority, 2u);
  EXPECT_EQ(result->timeout_us, 5000u);

  ModelInferRequest r2 = base_request();
  (*r2.mutable_parameters())["priority"].set_int64_param(1);
  (*r2.mutable_parameters())["timeout"].set_uint64_param(7);
  auto result2 = infer_request_from_proto(r2);
  ASSERT_TRUE(result2.ok()) << result2.status().message();
  EXPECT_EQ(result2->priority, 1u);
  EXPECT_EQ(result2->timeout_us, 7u);
}

TEST(GrpcTensor, BadPriorityOrTimeoutNamesTheParameter) {
  ModelInferRequest r = base_request();
  (*r.mutable_parameters())["priority"].set_int64_param(-1);
  expect_error(r, StatusCode::kInvalidArgument, {"'priority'", "-1"});
  ModelInferRequest r2 = base_request();
  (*r2.mutable_parameters())["priority"].set_uint64_param(1ull << 33);
  expect_error(r2, StatusCode::kInvalidArgument, {"'priority'", "4294967295"});
  ModelInferRequest r3 = base_request();
  (*r3.mutable_parameters())["timeout"].set_string_param("5s");
  expect_error(r3, StatusCode::kInvalidArgument, {"'timeout'", "string_param"});
}

TEST(GrpcTensor, EncodesEveryDatatypeAsRawOutput) {
  std::mt19937 rng(99);
  InferResponse resp;
  resp.model = "m";
  resp.version = "2";
  resp.id = "abc";
  std::vector<std::string> expected_bytes;
  for (const TypeCase& c : kAllTypes) {
    Tensor t = Tensor::empty(c.dtype, Shape{2, 2});
    auto* p = static_cast<uint8_t*>(t.raw_data());
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng() & (c.dtype == DType::kBool ? 1 : 0xff));
    expected_bytes.emplace_back(reinterpret_cast<const char*>(p), t.nbytes());
    resp.outputs.push_back({std::string("out_") + c.name, t});
  }
  inference::ModelInferResponse out;
  ASSERT_TRUE(infer_response_to_proto(resp, &out).ok());
  EXPECT_EQ(out.model_name(), "m");
  EXPECT_EQ(out.model_version(), "2");
  EXPECT_EQ(out.id(), "abc");
  ASSERT_EQ(out.outputs_size(), static_cast<int>(kAllTypes.size()));
  ASSERT_EQ(out.raw_output_contents_size(), static_cast<int>(kAllTypes.size()));
  for (size_t i = 0; i < kAllTypes.size(); ++i) {
    const auto& o = out.outputs(static_cast<int>(i));
    EXPECT_EQ(o.name(), std::string("out_") + kAllTypes[i].name);
    EXPECT_EQ(o.datatype(), kAllTypes[i].name);
    ASSERT_EQ(o.shape_size(), 2);
    EXPECT_EQ(o.shape(0), 2);
    EXPECT_EQ(o.shape(1), 2);
    EXPECT_FALSE(o.has_contents());  // raw only, as Triton answers
    EXPECT_EQ(out.raw_output_contents(static_cast<int>(i)), expected_bytes[i]) << kAllTypes[i].name;
  }
}

TEST(GrpcTensor, ResponseRawBytesDecodeBackAsRequestInputs) {
  InferResponse resp;
  resp.outputs.push_back({"y", Tensor::from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, Shape{2, 3})});
  inference::ModelInferResponse out;
  ASSERT_TRUE(infer_response_to_proto(resp, &out).ok());
  ModelInferRequest r = base_request();
  add_input(r, out.outputs(0).name(), out.outputs(0).datatype(), {out.outputs(0).shape(0), out.outputs(0).shape(1)});
  *r.add_raw_input_contents() = out.raw_output_contents(0);
  auto back = infer_request_from_proto(r);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->inputs[0].tensor.shape(), Shape({2, 3}));
  EXPECT_EQ(back->inputs[0].tensor.data<float>()[5], 6.0f);
}

TEST(GrpcTensor, OutputWithoutFixedSizeDtypeIsInternalErrorNamingIt) {
  InferResponse resp;
  resp.outputs.push_back({"broken", Tensor()});
  inference::ModelInferResponse out;
  Status s = infer_response_to_proto(resp, &out);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("'broken'"), std::string::npos) << s.message();
}

TEST(GrpcStatus, MapsEveryCode) {
  auto code = [](StatusCode c) { return grpc_code_for(Status(c, "m")); };
  EXPECT_EQ(grpc_code_for(ok_status()), grpc::StatusCode::OK);
  EXPECT_EQ(code(StatusCode::kInvalidArgument), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(StatusCode::kUnsupported), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(code(StatusCode::kNotFound), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(code(StatusCode::kResourceExhausted), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(code(StatusCode::kUnavailable), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(code(StatusCode::kDeadlineExceeded), grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(code(StatusCode::kInvalidModel), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(code(StatusCode::kOutOfRange), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(code(StatusCode::kInternal), grpc::StatusCode::INTERNAL);
  grpc::Status g = to_grpc_status(not_found("model 'x' is not in the repository"));
  EXPECT_EQ(g.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(g.error_message(), "model 'x' is not in the repository");
}

}  // namespace
}  // namespace fastserve::serve
