// JSON of the metadata, statistics and repository routes, and the small
// request bodies they read (src/serve/http/v2_server_json.h, utf8.h).
#include "serve/http/v2_server_json.h"

#include <gtest/gtest.h>

#include "serve/http/utf8.h"

namespace fastserve::serve {
namespace {

TEST(V2ServerJson, ErrorJsonEscapesAndRepairsUtf8) {
  EXPECT_EQ(error_json("input 'x': bad \"y\""), R"({"error":"input 'x': bad \"y\""})");
  // A raw 0xFF from a client's path becomes U+FFFD, keeping the answer valid JSON.
  EXPECT_EQ(error_json("no route for GET /v2/\xFF"), "{\"error\":\"no route for GET /v2/\xEF\xBF\xBD\"}");
}

TEST(V2ServerJson, Utf8ValidationFollowsRfc3629) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain"));
  EXPECT_TRUE(is_valid_utf8("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(is_valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation
  EXPECT_EQ(sanitize_utf8("a\xC3(b"), "a\xEF\xBF\xBD(b");
  EXPECT_EQ(sanitize_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(V2ServerJson, ModelMetadataJson) {
  ModelMetadata m;
  m.name = "tiny";
  m.versions = {"1", "2"};
  m.platform = "onnxruntime_onnx";
  m.inputs = {{"input", "FP32", DType::kF32, {-1, 1, 28, 28}}};
  m.outputs = {{"logits", "FP32", DType::kF32, {-1, 10}}};
  EXPECT_EQ(model_metadata_json(m),
            R"({"name":"tiny","versions":["1","2"],"platform":"onnxruntime_onnx",)"
            R"("inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,28,28]}],)"
            R"("outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]}]})");
}

TEST(V2ServerJson, StatisticsJsonHasTritonsFields) {
  ModelStatistics s;
  s.name = "m";
  s.version = "3";
  s.last_inference_ms = 1700000000000;
  s.inference_count = 5;
  s.execution_count = 4;
  s.success = {4, 4000};
  s.queue = {4, 100};
  BatchStat b;
  b.batch_size = 2;
  b.compute_infer = {1, 77};
  s.batch_stats.push_back(b);
  EXPECT_EQ(model_statistics_json({s}),
            R"({"model_stats":[{"name":"m","version":"3","last_inference":1700000000000,"inference_count":5,)"
            R"("execution_count":4,"inference_stats":{"success":{"count":4,"ns":4000},"fail":{"count":0,"ns":0},)"
            R"("queue":{"count":4,"ns":100},"compute_input":{"count":0,"ns":0},"compute_infer":{"count":0,"ns":0},)"
            R"("compute_output":{"count":0,"ns":0}},"batch_stats":[{"batch_size":2,"compute_input":{"count":0,"ns":0},)"
            R"("compute_infer":{"count":1,"ns":77},"compute_output":{"count":0,"ns":0}}]}]})");
  EXPECT_EQ(model_statistics_json({}), R"({"model_stats":[]})");
}

TEST(V2ServerJson, RepositoryIndexJson) {
  EXPECT_EQ(repository_index_json({{"a", "1", "READY", ""}, {"b", "", "UNAVAILABLE", "load failed: x"}}),
            R"([{"name":"a","version":"1","state":"READY","reason":""},)"
            R"({"name":"b","version":"","state":"UNAVAILABLE","reason":"load failed: x"}])");
}

TEST(V2ServerJson, ServerMetadataListsOnlyImplementedExtensions) {
  const std::string m = server_metadata_json();
  EXPECT_NE(m.find("\"name\":\"fastserve\""), std::string::npos) << m;
  for (const char* e : {"binary_tensor_data", "model_configuration", "statistics", "model_repository"})
    EXPECT_NE(m.find(std::string("\"") + e + "\""), std::string::npos) << e;
  EXPECT_EQ(m.find("classification"), std::string::npos) << m;
}

TEST(V2ServerJson, ParsesRepositoryRequestBodies) {
  EXPECT_FALSE(*parse_repository_index_request(""));
  EXPECT_FALSE(*parse_repository_index_request("{}"));
  EXPECT_TRUE(*parse_repository_index_request(R"({"ready":true})"));
  EXPECT_FALSE(parse_repository_index_request(R"({"ready":"yes"})").ok());
  EXPECT_FALSE(parse_repository_index_request("[").ok());

  EXPECT_EQ(*parse_load_request(""), "");
  EXPECT_EQ(*parse_load_request(R"({"parameters":{"config":"{\"max_batch_size\":4}"}})"), R"({"max_batch_size":4})");
  Result<std::string> file = parse_load_request(R"({"parameters":{"file:1/model.onnx":"abc"}})");
  ASSERT_FALSE(file.ok());
  EXPECT_NE(file.status().message().find("file:1/model.onnx"), std::string::npos);
  EXPECT_FALSE(parse_load_request(R"({"parameters":{"config":5}})").ok());

  EXPECT_TRUE(parse_unload_request("").ok());
  EXPECT_TRUE(parse_unload_request(R"({"parameters":{"unload_dependents":true}})").ok());
  EXPECT_FALSE(parse_unload_request(R"({"parameters":{"other":1}})").ok());
}

}  // namespace
}  // namespace fastserve::serve
