// v2 infer request decoding and response encoding (src/serve/http/v2_json.h).
#include "serve/http/v2_json.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <string>
#include <vector>

namespace fastserve::serve {
namespace {

Status decode(const std::string& json, DecodedInferRequest* out) {
  InferBody body;
  body.data = json.data();
  body.size = json.size();
  body.json_size = json.size();
  return decode_infer_request(body, out);
}

DecodedInferRequest decode_ok(const std::string& json) {
  DecodedInferRequest out;
  Status s = decode(json, &out);
  EXPECT_TRUE(s.ok()) << s.to_string();
  return out;
}

std::string decode_error(const std::string& json) {
  DecodedInferRequest out;
  Status s = decode(json, &out);
  EXPECT_FALSE(s.ok()) << json;
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  return s.message();
}

// A body of JSON + binary tail in 64-byte aligned memory, the binary tail
// starting `misalign` bytes past a 64-byte boundary.
struct AlignedBody {
  std::shared_ptr<char> storage;
  InferBody body;
};
AlignedBody make_body(const std::string& json, const std::string& binary, size_t misalign) {
  const size_t front = (64 - json.size() % 64) % 64 + misalign;
  const size_t total = front + json.size() + binary.size() + kJsonPadding;
  const size_t rounded = (total + 63) / 64 * 64;
  AlignedBody b;
  b.storage = std::shared_ptr<char>(static_cast<char*>(std::aligned_alloc(64, rounded)), [](char* p) { std::free(p); });
  char* p = b.storage.get() + front;
  std::memcpy(p, json.data(), json.size());
  std::memcpy(p + json.size(), binary.data(), binary.size());
  b.body.data = p;
  b.body.size = json.size() + binary.size();
  b.body.json_size = json.size();
  b.body.padded = true;
  b.body.owner = b.storage;
  return b;
}

template <typename T>
std::vector<T> values_of(const Tensor& t) {
  std::vector<T> v(static_cast<size_t>(t.numel()));
  std::memcpy(v.data(), t.raw_data(), t.nbytes());
  return v;
}

TEST(V2Json, DecodesFlatJsonData) {
  DecodedInferRequest d = decode_ok(
      R"({"id":"r1","inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3,4.5,5,6]}]})");
  EXPECT_EQ(d.request.id, "r1");
  ASSERT_EQ(d.request.inputs.size(), 1u);
  EXPECT_EQ(d.request.inputs[0].name, "x");
  const Tensor& t = d.request.inputs[0].tensor;
  EXPECT_EQ(t.dtype(), DType::kF32);
  EXPECT_EQ(t.shape(), (Shape{2, 3}));
  EXPECT_EQ(values_of<float>(t), (std::vector<float>{1, 2, 3, 4.5f, 5, 6}));
  EXPECT_TRUE(d.request.outputs.empty());
}

TEST(V2Json, DecodesNestedJsonDataInRowMajorOrder) {
  DecodedInferRequest d = decode_ok(
      R"({"inputs":[{"name":"x","shape":[2,2,2],"datatype":"INT32","data":[[[1,2],[3,4]],[[5,6],[7,8]]]}]})");
  EXPECT_EQ(values_of<int32_t>(d.request.inputs[0].tensor), (std::vector<int32_t>{1, 2, 3, 4, 5, 6, 7, 8}));
}

TEST(V2Json, ReadsRequestParametersAndOutputs) {
  DecodedInferRequest d = decode_ok(
      R"({"parameters":{"priority":2,"timeout":1500,"binary_data_output":true,"custom":"x"},)"
      R"("inputs":[],"outputs":[{"name":"a"},{"name":"b","parameters":{"binary_data":false}}]})");
  EXPECT_EQ(d.request.priority, 2u);
  EXPECT_EQ(d.request.timeout_us, 1500u);
  EXPECT_TRUE(d.binary_data_output);
  EXPECT_EQ(d.request.outputs, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(output_is_binary(d, "a"));   // the request-wide default
  EXPECT_FALSE(output_is_binary(d, "b"));  // overridden per output
  EXPECT_TRUE(output_is_binary(d, "c"));
}

TEST(V2Json, Fp16AndBf16JsonNumbersAreConverted) {
  DecodedInferRequest d = decode_ok(
      R"({"inputs":[{"name":"h","shape":[3],"datatype":"FP16","data":[0.5,-2,65504]},)"
      R"({"name":"b","shape":[1],"datatype":"BF16","data":[1.5]}]})");
  std::vector<uint16_t> h = values_of<uint16_t>(d.request.inputs[0].tensor);
  EXPECT_EQ(h, (std::vector<uint16_t>{0x3800, 0xC000, 0x7BFF}));
  EXPECT_EQ(values_of<uint16_t>(d.request.inputs[1].tensor), (std::vector<uint16_t>{0x3FC0}));
}

// Every datatype: JSON in, the same tensors out as JSON and as binary, and
// the values survive both ways.
TEST(V2Json, EveryDatatypeRoundTripsThroughJsonAndBinary) {
  struct Case {
    const char* datatype;
    const char* data;  // JSON array
  };
  const Case cases[] = {
      {"BOOL", "[true,false,true]"},
      {"UINT8", "[0,7,255]"},
      {"UINT16", "[0,7,65535]"},
      {"UINT32", "[0,7,4294967295]"},
      {"UINT64", "[0,7,18446744073709551615]"},
      {"INT8", "[-128,7,127]"},
      {"INT16", "[-32768,7,32767]"},
      {"INT32", "[-2147483648,7,2147483647]"},
      {"INT64", "[-9223372036854775808,7,9223372036854775807]"},
      {"FP16", "[0.5,-1.25,2048]"},
      {"BF16", "[0.5,-1.25,2048]"},
      {"FP32", "[0.1,-1.25,3.4028235e+38]"},
      {"FP64", "[0.1,-1.25,1.7976931348623157e+308]"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.datatype);
    const std::string req = std::string(R"({"inputs":[{"name":"t","shape":[3],"datatype":")") + c.datatype +
                            R"(","data":)" + c.data + "}]}";
    DecodedInferRequest d = decode_ok(req);
    ASSERT_EQ(d.request.inputs.size(), 1u);
    EXPECT_STREQ(dtype_v2_name(d.request.inputs[0].tensor.dtype()), c.datatype);

    InferResponse r;
    r.model = "m";
    r.version = "1";
    r.outputs.push_back(d.request.inputs[0]);

    // JSON: the data array reads back as the request's.
    std::string body;
    size_t json_size = 0;
    ASSERT_TRUE(encode_infer_response(r, DecodedInferRequest{}, &body, &json_size).ok());
    EXPECT_EQ(json_size, body.size());
    const std::string expected_prefix = std::string(R"({"model_name":"m","model_version":"1","outputs":[{"name":"t","datatype":")") +
                                        c.datatype + R"(","shape":[3],"data":)";
    ASSERT_EQ(body.substr(0, expected_prefix.size()), expected_prefix) << body;
    const std::string data_text = body.substr(expected_prefix.size(), body.size() - expected_prefix.size() - 3);
    DecodedInferRequest again = decode_ok(std::string(R"({"inputs":[{"name":"t","shape":[3],"datatype":")") +
                                          c.datatype + R"(","data":)" + data_text + "}]}");
    const Tensor& a = d.request.inputs[0].tensor;
    const Tensor& b = again.request.inputs[0].tensor;
    ASSERT_EQ(a.nbytes(), b.nbytes());
    EXPECT_EQ(std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()), 0) << data_text;

    // Binary: the tail is the tensor's bytes.
    DecodedInferRequest binary_opts;
    binary_opts.binary_data_output = true;
    ASSERT_TRUE(encode_infer_response(r, binary_opts, &body, &json_size).ok());
    ASSERT_EQ(body.size() - json_size, a.nbytes());
    EXPECT_EQ(std::memcmp(body.data() + json_size, a.raw_data(), a.nbytes()), 0);
    EXPECT_NE(body.substr(0, json_size).find("\"parameters\":{\"binary_data_size\":" + std::to_string(a.nbytes()) + "}"),
              std::string::npos)
        << body.substr(0, json_size);
    EXPECT_EQ(body.substr(0, json_size).find("\"data\""), std::string::npos);
  }
}

TEST(V2Json, BinaryInputsAreReadInInputOrder) {
  std::vector<float> x = {1.f, 2.f, 3.f, 4.f};
  std::vector<int64_t> y = {-5, 6};
  std::string binary(reinterpret_cast<const char*>(x.data()), 16);
  binary.append(reinterpret_cast<const char*>(y.data()), 16);
  const std::string json =
      R"({"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","parameters":{"binary_data_size":16}},)"
      R"({"name":"j","shape":[1],"datatype":"INT8","data":[3]},)"
      R"({"name":"y","shape":[2],"datatype":"INT64","parameters":{"binary_data_size":16}}]})";
  for (size_t misalign : {0, 3}) {
    SCOPED_TRACE(misalign);
    AlignedBody b = make_body(json, binary, misalign);
    DecodedInferRequest d;
    Status s = decode_infer_request(b.body, &d);
    ASSERT_TRUE(s.ok()) << s.to_string();
    ASSERT_EQ(d.request.inputs.size(), 3u);
    EXPECT_EQ(values_of<float>(d.request.inputs[0].tensor), x);
    EXPECT_EQ(values_of<int8_t>(d.request.inputs[1].tensor), (std::vector<int8_t>{3}));
    EXPECT_EQ(values_of<int64_t>(d.request.inputs[2].tensor), y);
    // An aligned tensor is the body's own memory (no copy); a misaligned one is copied.
    const char* bin = b.body.data + b.body.json_size;
    if (misalign == 0) {
      EXPECT_EQ(d.request.inputs[0].tensor.raw_data(), static_cast<const void*>(bin));
    } else {
      EXPECT_NE(d.request.inputs[0].tensor.raw_data(), static_cast<const void*>(bin));
    }
  }
}

TEST(V2Json, BinaryBoolBytesBecomeBools) {
  const std::string binary("\x00\x01\x05", 3);
  AlignedBody b = make_body(R"({"inputs":[{"name":"m","shape":[3],"datatype":"BOOL","parameters":{"binary_data_size":3}}]})",
                            binary, 0);
  DecodedInferRequest d;
  ASSERT_TRUE(decode_infer_request(b.body, &d).ok());
  const bool* v = d.request.inputs[0].tensor.data<bool>();
  EXPECT_FALSE(v[0]);
  EXPECT_TRUE(v[1]);
  EXPECT_TRUE(v[2]);
}

TEST(V2Json, BinaryOutputsFollowTheJsonInOutputOrder) {
  InferResponse r;
  r.id = "abc";
  r.model = "m";
  r.version = "2";
  r.outputs.push_back({"a", Tensor::from_vector<float>({1.f, 2.f})});
  r.outputs.push_back({"b", Tensor::from_vector<int32_t>({7})});
  r.outputs.push_back({"c", Tensor::from_vector<uint8_t>({9, 8, 7})});
  DecodedInferRequest opts;
  opts.request.outputs = {"a", "b", "c"};
  opts.output_binary = {1, 0, 1};
  std::string body;
  size_t json_size = 0;
  ASSERT_TRUE(encode_infer_response(r, opts, &body, &json_size).ok());
  EXPECT_EQ(body.substr(0, json_size),
            R"({"id":"abc","model_name":"m","model_version":"2","outputs":[)"
            R"({"name":"a","datatype":"FP32","shape":[2],"parameters":{"binary_data_size":8}},)"
            R"({"name":"b","datatype":"INT32","shape":[1],"data":[7]},)"
            R"({"name":"c","datatype":"UINT8","shape":[3],"parameters":{"binary_data_size":3}}]})");
  ASSERT_EQ(body.size(), json_size + 11);
  float a[2];
  std::memcpy(a, body.data() + json_size, 8);
  EXPECT_EQ(a[0], 1.f);
  EXPECT_EQ(a[1], 2.f);
  EXPECT_EQ(body.substr(json_size + 8), std::string("\x09\x08\x07", 3));
}

TEST(V2Json, FloatsUseShortestRoundTripAndTritonNonFiniteTokens) {
  InferResponse r;
  r.model = "m";
  r.version = "1";
  r.outputs.push_back({"y", Tensor::from_vector<float>({0.1f, 1.f, -2.5e-8f, std::numeric_limits<float>::quiet_NaN(),
                                                         std::numeric_limits<float>::infinity(),
                                                         -std::numeric_limits<float>::infinity()})});
  std::string body;
  size_t json_size = 0;
  ASSERT_TRUE(encode_infer_response(r, DecodedInferRequest{}, &body, &json_size).ok());
  EXPECT_NE(body.find(R"("data":[0.1,1,-2.5e-08,NaN,Infinity,-Infinity])"), std::string::npos) << body;
}

TEST(V2Json, EscapesNamesInTheResponse) {
  InferResponse r;
  r.model = "m\"x";
  r.version = "1";
  r.outputs.push_back({"out\\1", Tensor::from_vector<int64_t>({1})});
  std::string body;
  size_t json_size = 0;
  ASSERT_TRUE(encode_infer_response(r, DecodedInferRequest{}, &body, &json_size).ok());
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(body).get(root), simdjson::SUCCESS) << body;
  std::string_view model, name;
  ASSERT_EQ(root["model_name"].get(model), simdjson::SUCCESS);
  ASSERT_EQ(root["outputs"].at(0)["name"].get(name), simdjson::SUCCESS);
  EXPECT_EQ(model, "m\"x");
  EXPECT_EQ(name, "out\\1");
}

TEST(V2Json, ErrorsNameTheTensor) {
  struct Case {
    const char* json;
    const char* expected;
  };
  const Case cases[] = {
      {R"({"inputs":[{"name":"x","shape":[2,3],"datatype":"FP32","data":[1,2,3]}]})",
       "input 'x': 'data' has 3 elements, shape [2,3] needs 6"},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1,2]}]})",
       "input 'x': 'data' has 2 elements, shape [1] needs 1"},
      {R"({"inputs":[{"name":"x","shape":[1000000000],"datatype":"FP32","data":[1]}]})",
       "input 'x': 'data' has 1 elements, shape [1000000000] needs 1000000000"},
      {R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP23","data":[1,2]}]})", "input 'x': unknown datatype 'FP23'"},
      {R"({"inputs":[{"name":"s","shape":[1],"datatype":"BYTES","data":["a"]}]})",
       "input 's': datatype BYTES is not supported"},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1],"parameters":{"binary_data_size":4}}]})",
       "input 'x': has both 'data' and parameters.binary_data_size"},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]})",
       "input 'x': has neither 'data' nor parameters.binary_data_size"},
      {R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","parameters":{"binary_data_size":4}}]})",
       "input 'x': binary_data_size 4 does not match shape [2] of FP32 (8 bytes)"},
      {R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]})",
       "input 'x': binary data runs past the end of the body"},
      {R"({"inputs":[{"name":"u","shape":[2],"datatype":"UINT8","data":[1,256]}]})",
       "input 'u': 'data' element 1: 256 is out of range for UINT8"},
      {R"({"inputs":[{"name":"i","shape":[2],"datatype":"INT32","data":[1,2.5]}]})",
       "input 'i': 'data' element 1: 2.5 is not an integer (datatype INT32)"},
      {R"({"inputs":[{"name":"f","shape":[2],"datatype":"FP32","data":[1,"2"]}]})",
       "input 'f': 'data' element 1: expected a number, got a string"},
      {R"({"inputs":[{"name":"b","shape":[1],"datatype":"BOOL","data":[1]}]})",
       "input 'b': 'data' element 0: expected true or false, got a number"},
      {R"({"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]})",
       "input 'x': 'shape' must hold non-negative integers"},
      {R"({"inputs":[{"name":"x","datatype":"FP32","data":[1]}]})", "input 'x': 'shape' is missing or not an array"},
      {R"({"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]})", "inputs[0]: 'name' is missing or not a string"},
      {R"({"inputs":[{"name":"x","shape":[1],"data":[1]}]})", "input 'x': 'datatype' is missing or not a string"},
      {R"({"inputs":{}})", "'inputs' must be an array"},
      {R"([1,2])", "the request JSON must be an object"},
      {R"({"id":5,"inputs":[]})", "'id' must be a string"},
      {R"({"parameters":{"priority":-1},"inputs":[]})", "parameters.priority must be an integer"},
      {R"({"parameters":{"binary_data_output":1},"inputs":[]})", "parameters.binary_data_output must be true or false"},
      {R"({"parameters":{"sequence_id":3},"inputs":[]})", "parameters.sequence_id: sequence batching is not supported"},
      {R"({"inputs":[],"outputs":[{"name":"y","parameters":{"classification":3}}]})",
       "output 'y': the classification extension is not supported"},
      {R"({"inputs":[],"outputs":[{"name":"y","parameters":{"binary_data":"yes"}}]})",
       "output 'y': binary_data must be true or false"},
  };
  for (const Case& c : cases) {
    const std::string msg = decode_error(c.json);
    EXPECT_NE(msg.find(c.expected), std::string::npos) << "got: " << msg << "\nwanted: " << c.expected;
  }
}

TEST(V2Json, BinaryBytesBeyondTheInputsAreAnError) {
  AlignedBody b = make_body(R"({"inputs":[{"name":"x","shape":[1],"datatype":"FP32","parameters":{"binary_data_size":4}}]})",
                            std::string(12, '\0'), 0);
  DecodedInferRequest d;
  Status s = decode_infer_request(b.body, &d);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "binary tensor data is 12 bytes but the inputs' binary_data_size sum to 4");
}

TEST(V2Json, MalformedJsonReportsTheByteOffset) {
  // The missing comma is at byte 13.
  const std::string msg = decode_error(R"({"inputs":[1 2]})");
  EXPECT_NE(msg.find("failed to parse the request JSON"), std::string::npos) << msg;
  EXPECT_NE(msg.find("at byte 13"), std::string::npos) << msg;
  const std::string trailing = decode_error(R"({"inputs":[]} x)");
  EXPECT_NE(trailing.find("at byte 14"), std::string::npos) << trailing;
  EXPECT_NE(decode_error(R"({"inputs":[)").find("failed to parse the request JSON"), std::string::npos);
  EXPECT_NE(decode_error("").find("empty"), std::string::npos);
}

TEST(V2Json, ParsesInferenceHeaderContentLength) {
  Result<size_t> ok = parse_inference_header_length("12", 20);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 12u);
  EXPECT_FALSE(parse_inference_header_length("", 20).ok());
  EXPECT_FALSE(parse_inference_header_length("-1", 20).ok());
  EXPECT_FALSE(parse_inference_header_length("1x", 20).ok());
  EXPECT_FALSE(parse_inference_header_length("99999999999999999999999", 20).ok());
  Result<size_t> big = parse_inference_header_length("21", 20);
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("Inference-Header-Content-Length 21 is larger than the body (20 bytes)"),
            std::string::npos);
}

TEST(V2Json, AbsentInputsAreAnEmptyList) {
  // The manager then answers for the model: 404 when unknown, else the missing inputs.
  DecodedInferRequest d = decode_ok("{}");
  EXPECT_TRUE(d.request.inputs.empty());
}

TEST(V2Json, IntegralDoublesAreAcceptedForIntegerTypes) {
  DecodedInferRequest d = decode_ok(R"({"inputs":[{"name":"x","shape":[2],"datatype":"INT64","data":[1.0,-2e3]}]})");
  EXPECT_EQ(values_of<int64_t>(d.request.inputs[0].tensor), (std::vector<int64_t>{1, -2000}));
}

}  // namespace
}  // namespace fastserve::serve
