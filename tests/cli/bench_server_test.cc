// `fastserve bench --server`, the parts that need no server: Server-Timing
// and URL parsing, the open-loop schedule, the request inputs and bodies, and
// the model metadata. The load loop itself: bench_server_load_test.cc.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <cstring>
#include <set>

#include "cli/bench_server.h"

namespace fastserve::cli {
namespace {
// --- Server-Timing ---------------------------------------------------------------

TEST(ServerTiming, ParsesQueueComputeTotal) {
  const ServerTiming t = parse_server_timing("queue;dur=0.125, compute;dur=2.5, total;dur=2.750");
  EXPECT_DOUBLE_EQ(t.queue_ms, 0.125);
  EXPECT_DOUBLE_EQ(t.compute_ms, 2.5);
  EXPECT_DOUBLE_EQ(t.total_ms, 2.75);
}

TEST(ServerTiming, SkipsOtherMetricsParamsAndQuotedSeparators) {
  const ServerTiming t =
      parse_server_timing(R"(db;dur=53, queue;desc="wait, then \"run\"; later";dur=1.5,cache;desc=hit, total;dur=3)");
  EXPECT_DOUBLE_EQ(t.queue_ms, 1.5);
  EXPECT_DOUBLE_EQ(t.total_ms, 3);
  EXPECT_TRUE(std::isnan(t.compute_ms));
}

TEST(ServerTiming, AcceptsSpacesCaseAndQuotedDuration) {
  const ServerTiming t = parse_server_timing("  Queue ; DUR = 0.5 ,compute;dur=\"1.25\"\t, TOTAL;dur=2");
  EXPECT_DOUBLE_EQ(t.queue_ms, 0.5);
  EXPECT_DOUBLE_EQ(t.compute_ms, 1.25);
  EXPECT_DOUBLE_EQ(t.total_ms, 2);
}

TEST(ServerTiming, MalformedOrMissingDurationsStayNaN) {
  const ServerTiming t = parse_server_timing("queue;dur=abc, compute;dur=-1, total;dur=");
  EXPECT_TRUE(std::isnan(t.queue_ms));
  EXPECT_TRUE(std::isnan(t.compute_ms));
  EXPECT_TRUE(std::isnan(t.total_ms));
  const ServerTiming u = parse_server_timing("queue;dur=1e400, compute, total;dur=1.5ms");
  EXPECT_TRUE(std::isnan(u.queue_ms));
  EXPECT_TRUE(std::isnan(u.compute_ms));
  EXPECT_TRUE(std::isnan(u.total_ms));
  const ServerTiming e = parse_server_timing("");
  EXPECT_TRUE(std::isnan(e.queue_ms) && std::isnan(e.compute_ms) && std::isnan(e.total_ms));
}

TEST(ServerTiming, RepeatedMetricKeepsTheFirst) {
  EXPECT_DOUBLE_EQ(parse_server_timing("total;dur=1, total;dur=2").total_ms, 1);
}

// --- URLs ------------------------------------------------------------------------

TEST(ServerUrl, ParsesHttpForms) {
  Result<ServerUrl> a = parse_server_url("http://localhost:8080", false);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(a->host, "localhost");
  EXPECT_EQ(a->port, 8080);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->http_origin(), "http://localhost:8080");

  Result<ServerUrl> b = parse_server_url("HTTPS://example.com/", false);
  ASSERT_TRUE(b.ok()) << b.status().message();
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->http_origin(), "https://example.com:443");

  Result<ServerUrl> c = parse_server_url("http://example.com", false);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 80);

  Result<ServerUrl> d = parse_server_url("127.0.0.1:8000", false);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->host, "127.0.0.1");
  EXPECT_EQ(d->port, 8000);
  EXPECT_FALSE(d->tls);

  Result<ServerUrl> e = parse_server_url("http://[::1]:9000", false);
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(e->host, "::1");
  EXPECT_EQ(e->authority(), "[::1]:9000");
  EXPECT_EQ(e->http_origin(), "http://[::1]:9000");
}

TEST(ServerUrl, ParsesGrpcForms) {
  Result<ServerUrl> a = parse_server_url("localhost:8001", true);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->authority(), "localhost:8001");
  EXPECT_FALSE(a->tls);
  Result<ServerUrl> b = parse_server_url("grpcs://models.example.com:443", true);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->tls);
  Result<ServerUrl> c = parse_server_url("grpc://[::1]:8001", true);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->authority(), "[::1]:8001");
  EXPECT_FALSE(c->tls);
}

TEST(ServerUrl, RejectsBadUrlsNamingThem) {
  const std::vector<std::pair<std::string, bool>> bad = {
      {"localhost", false},         {"ftp://host:21", false},     {"http://host:0", false},
      {"http://host:65536", false}, {"http://host:80/v2", false}, {"http://user@host:80", false},
      {"::1:80", false},            {"http://host:8a", false},    {"", false},
      {"http://:80", false},        {"grpc://host", true},        {"http://host:", false},
      {"http://[::1", false},       {"ws://host:80", true},       {"host name:80", false}};
  for (const auto& [url, grpc] : bad) {
    Result<ServerUrl> r = parse_server_url(url, grpc);
    ASSERT_FALSE(r.ok()) << url;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << url;
    EXPECT_NE(r.status().message().find("'" + url + "'"), std::string::npos) << r.status().message();
  }
}

// --- schedule ----------------------------------------------------------------------

TEST(ArrivalSchedule, SameSeedSameStrictlyIncreasingTimes) {
  ArrivalSchedule a(500, 7), b(500, 7), c(500, 8);
  double prev = 0;
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    const double ta = a.next(), tb = b.next(), tc = c.next();
    EXPECT_EQ(ta, tb);
    EXPECT_GT(ta, prev);
    prev = ta;
    differs = differs || ta != tc;
  }
  EXPECT_TRUE(differs) << "another seed gives another schedule";
}

TEST(ArrivalSchedule, GapsAreExponentialWithMeanOneOverRate) {
  constexpr double kRate = 250;
  constexpr int kN = 200000;
  ArrivalSchedule s(kRate, 42);
  double prev = 0, sum = 0, sum_sq = 0;
  int below_mean = 0;
  for (int i = 0; i < kN; ++i) {
    const double t = s.next();
    const double gap = t - prev;
    prev = t;
    sum += gap;
    sum_sq += gap * gap;
    if (gap < 1.0 / kRate) ++below_mean;
  }
  const double mean = sum / kN;
  const double sd = std::sqrt(sum_sq / kN - mean * mean);
  EXPECT_NEAR(mean * kRate, 1.0, 0.01);
  EXPECT_NEAR(sd / mean, 1.0, 0.02) << "exponential gaps: sd == mean (fixed spacing would give 0)";
  EXPECT_NEAR(static_cast<double>(below_mean) / kN, 1.0 - std::exp(-1.0), 0.01);
  EXPECT_NEAR(prev, kN / kRate, 0.02 * kN / kRate);
}

// --- inputs and bodies ---------------------------------------------------------------

ModelSpec tiny_spec() {
  ModelSpec m;
  m.name = "tiny";
  m.inputs = {{"x", "FP32", {-1, 3, -1}}, {"ids", "INT64", {-1, 2}}};
  m.outputs = {{"y", "FP32", {-1, 10}}};
  return m;
}

TEST(ServerInputs, VariableDimsBecomeBatchThenOne) {
  Result<std::vector<BenchTensor>> in = make_server_inputs(tiny_spec(), 4, false);
  ASSERT_TRUE(in.ok()) << in.status().message();
  ASSERT_EQ(in->size(), 2u);
  EXPECT_EQ((*in)[0].shape, (std::vector<int64_t>{4, 3, 1}));
  EXPECT_EQ((*in)[0].raw.size(), 4u * 3 * 1 * 4);
  EXPECT_EQ((*in)[1].shape, (std::vector<int64_t>{4, 2}));
  EXPECT_EQ((*in)[1].raw.size(), 4u * 2 * 8);
  EXPECT_EQ(items_per_request(*in), 4);
  Result<std::vector<BenchTensor>> one = make_server_inputs(tiny_spec(), 0, false);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ((*one)[0].shape, (std::vector<int64_t>{1, 3, 1}));
  EXPECT_EQ(items_per_request(*one), 1);
}

TEST(ServerInputs, FixedSeedValuesInRangeAndJsonMatchesBytes) {
  Result<std::vector<BenchTensor>> a = make_server_inputs(tiny_spec(), 8, true);
  Result<std::vector<BenchTensor>> b = make_server_inputs(tiny_spec(), 8, true);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ((*a)[0].raw, (*b)[0].raw);
  const BenchTensor& x = (*a)[0];
  std::vector<float> floats(x.raw.size() / 4);
  std::memcpy(floats.data(), x.raw.data(), x.raw.size());
  std::set<float> distinct(floats.begin(), floats.end());
  EXPECT_GT(distinct.size(), floats.size() / 2) << "random, not constant";
  simdjson::dom::parser parser;
  simdjson::dom::array arr;
  ASSERT_EQ(parser.parse(x.json_data).get_array().get(arr), simdjson::SUCCESS) << x.json_data;
  size_t i = 0;
  for (simdjson::dom::element e : arr) {
    double v = 0;
    ASSERT_EQ(e.get_double().get(v), simdjson::SUCCESS);
    ASSERT_LT(i, floats.size());
    EXPECT_EQ(static_cast<float>(v), floats[i]) << i;
    EXPECT_GE(floats[i], -1.0f);
    EXPECT_LT(floats[i], 1.0f);
    ++i;
  }
  EXPECT_EQ(i, floats.size());
  const BenchTensor& ids = (*a)[1];
  for (size_t k = 0; k < ids.raw.size() / 8; ++k) {
    int64_t v = -1;
    std::memcpy(&v, ids.raw.data() + 8 * k, 8);
    EXPECT_TRUE(v == 0 || v == 1) << v;
  }
}

TEST(ServerInputs, RejectsMismatchedBatchAndUnfillableTypes) {
  ModelSpec fixed;
  fixed.name = "m";
  fixed.inputs = {{"image", "FP32", {1, 3, 4, 4}}};
  Result<std::vector<BenchTensor>> r = make_server_inputs(fixed, 8, false);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'image'"), std::string::npos) << r.status().message();
  EXPECT_TRUE(make_server_inputs(fixed, 1, false).ok());
  ModelSpec text;
  text.inputs = {{"prompt", "BYTES", {1}}};
  Result<std::vector<BenchTensor>> t = make_server_inputs(text, 0, false);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("'prompt'"), std::string::npos);
  ModelSpec huge;
  huge.inputs = {{"x", "FP32", {1 << 20, 1 << 20}}};
  EXPECT_FALSE(make_server_inputs(huge, 0, false).ok());
}

TEST(ServerInputs, BinaryBodyIsJsonHeaderThenInputBytes) {
  Result<std::vector<BenchTensor>> in = make_server_inputs(tiny_spec(), 2, false);
  ASSERT_TRUE(in.ok());
  size_t json_size = 0;
  const std::string body = make_http_infer_body(*in, true, &json_size);
  ASSERT_LT(json_size, body.size());
  EXPECT_EQ(body.substr(json_size), (*in)[0].raw + (*in)[1].raw);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(body.data(), json_size).get(doc), simdjson::SUCCESS) << body.substr(0, json_size);
  bool binary_out = false;
  EXPECT_EQ(doc["parameters"]["binary_data_output"].get_bool().get(binary_out), simdjson::SUCCESS);
  EXPECT_TRUE(binary_out);
  int64_t size0 = 0;
  EXPECT_EQ(doc["inputs"].at(0)["parameters"]["binary_data_size"].get_int64().get(size0), simdjson::SUCCESS);
  EXPECT_EQ(size0, static_cast<int64_t>((*in)[0].raw.size()));
  std::string_view dt;
  EXPECT_EQ(doc["inputs"].at(1)["datatype"].get_string().get(dt), simdjson::SUCCESS);
  EXPECT_EQ(dt, "INT64");
}

TEST(ServerInputs, JsonBodyCarriesDataArrays) {
  Result<std::vector<BenchTensor>> in = make_server_inputs(tiny_spec(), 2, true);
  ASSERT_TRUE(in.ok());
  size_t json_size = 0;
  const std::string body = make_http_infer_body(*in, false, &json_size);
  EXPECT_EQ(json_size, body.size());
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(body).get(doc), simdjson::SUCCESS);
  simdjson::dom::array data;
  ASSERT_EQ(doc["inputs"].at(1)["data"].get_array().get(data), simdjson::SUCCESS);
  EXPECT_EQ(data.size(), 4u);
  EXPECT_NE(doc["parameters"].error(), simdjson::SUCCESS) << "JSON outputs: no binary_data_output";
}

TEST(ModelMetadata, ParsesV2JsonAndNamesBadFields) {
  Result<ModelSpec> m = parse_model_metadata_json(
      R"({"name":"tiny","versions":["1"],"platform":"onnx","inputs":[{"name":"input","datatype":"FP32","shape":[-1,1,28,28]}],"outputs":[{"name":"logits","datatype":"FP32","shape":[-1,10]}]})");
  ASSERT_TRUE(m.ok()) << m.status().message();
  EXPECT_EQ(m->name, "tiny");
  ASSERT_EQ(m->inputs.size(), 1u);
  EXPECT_EQ(m->inputs[0].name, "input");
  EXPECT_EQ(m->inputs[0].shape, (std::vector<int64_t>{-1, 1, 28, 28}));
  ASSERT_EQ(m->outputs.size(), 1u);
  Result<ModelSpec> no_inputs = parse_model_metadata_json(R"({"name":"tiny"})");
  ASSERT_FALSE(no_inputs.ok());
  EXPECT_NE(no_inputs.status().message().find("'inputs'"), std::string::npos);
  Result<ModelSpec> bad_shape =
      parse_model_metadata_json(R"({"inputs":[{"name":"x","datatype":"FP32","shape":[1,"n"]}]})");
  ASSERT_FALSE(bad_shape.ok());
  EXPECT_NE(bad_shape.status().message().find("'x'"), std::string::npos) << bad_shape.status().message();
  EXPECT_FALSE(parse_model_metadata_json("not json").ok());
}

}  // namespace
}  // namespace fastserve::cli
