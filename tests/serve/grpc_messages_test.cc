// Tests for src/serve/grpc/grpc_messages (manager answers -> gRPC messages)
// and for the wire form of proto/*.proto: the field numbers Triton's clients
// rely on are pinned here, so renumbering a field fails a test.
#include "serve/grpc/grpc_messages.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace fastserve::serve {
namespace {

using google::protobuf::Descriptor;

// Expects `message` to have `field` with `number`.
void expect_field(const Descriptor* message, const char* field, int number) {
  const auto* f = message->FindFieldByName(field);
  ASSERT_NE(f, nullptr) << message->full_name() << "." << field << " is missing";
  EXPECT_EQ(f->number(), number) << message->full_name() << "." << field;
}

TEST(GrpcProto, FieldNumbersMatchTritonsProtocol) {
  const Descriptor* req = inference::ModelInferRequest::descriptor();
  const std::vector<std::pair<const char*, int>> req_fields = {
      {"model_name", 1}, {"model_version", 2}, {"id", 3}, {"parameters", 4},
      {"inputs", 5},     {"outputs", 6},       {"raw_input_contents", 7}};
  for (const auto& [f, n] : req_fields) expect_field(req, f, n);
  const Descriptor* in = inference::ModelInferRequest::InferInputTensor::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"name", 1}, {"datatype", 2}, {"shape", 3}, {"parameters", 4}, {"contents", 5}})
    expect_field(in, f, n);
  const Descriptor* resp = inference::ModelInferResponse::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"model_name", 1}, {"model_version", 2}, {"id", 3}, {"parameters", 4}, {"outputs", 5},
           {"raw_output_contents", 6}})
    expect_field(resp, f, n);
  const Descriptor* param = inference::InferParameter::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"bool_param", 1}, {"int64_param", 2}, {"string_param", 3}, {"double_param", 4}, {"uint64_param", 5}})
    expect_field(param, f, n);
  const Descriptor* contents = inference::InferTensorContents::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"bool_contents", 1}, {"int_contents", 2}, {"int64_contents", 3}, {"uint_contents", 4},
           {"uint64_contents", 5}, {"fp32_contents", 6}, {"fp64_contents", 7}, {"bytes_contents", 8}})
    expect_field(contents, f, n);
  const Descriptor* config = inference::ModelConfig::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"name", 1}, {"platform", 2}, {"version_policy", 3}, {"max_batch_size", 4}, {"input", 5},
           {"output", 6}, {"instance_group", 7}, {"default_model_filename", 8}, {"dynamic_batching", 11},
           {"parameters", 14}, {"model_warmup", 16}, {"backend", 17}})
    expect_field(config, f, n);
  const Descriptor* stats = inference::ModelStatistics::descriptor();
  for (const auto& [f, n] : std::vector<std::pair<const char*, int>>{
           {"name", 1}, {"version", 2}, {"last_inference", 3}, {"inference_count", 4}, {"execution_count", 5},
           {"inference_stats", 6}, {"batch_stats", 7}, {"memory_usage", 8}})
    expect_field(stats, f, n);
  expect_field(inference::ModelInstanceGroup::descriptor(), "kind", 4);
  expect_field(inference::ModelOutput::descriptor(), "dims", 3);
  expect_field(inference::ModelDynamicBatching::descriptor(), "default_queue_policy", 6);
  expect_field(inference::ModelQueuePolicy::descriptor(), "max_queue_size", 4);
  EXPECT_EQ(inference::TYPE_FP32, 11);
  EXPECT_EQ(inference::TYPE_BF16, 14);
  EXPECT_EQ(inference::ModelInstanceGroup::KIND_CPU, 2);
}

TEST(GrpcMessages, ConfigDataTypesFollowTritonsEnum) {
  EXPECT_EQ(grpc_config_data_type(DType::kBool), inference::TYPE_BOOL);
  EXPECT_EQ(grpc_config_data_type(DType::kU8), inference::TYPE_UINT8);
  EXPECT_EQ(grpc_config_data_type(DType::kU16), inference::TYPE_UINT16);
  EXPECT_EQ(grpc_config_data_type(DType::kU32), inference::TYPE_UINT32);
  EXPECT_EQ(grpc_config_data_type(DType::kU64), inference::TYPE_UINT64);
  EXPECT_EQ(grpc_config_data_type(DType::kI8), inference::TYPE_INT8);
  EXPECT_EQ(grpc_config_data_type(DType::kI16), inference::TYPE_INT16);
  EXPECT_EQ(grpc_config_data_type(DType::kI32), inference::TYPE_INT32);
  EXPECT_EQ(grpc_config_data_type(DType::kI64), inference::TYPE_INT64);
  EXPECT_EQ(grpc_config_data_type(DType::kF16), inference::TYPE_FP16);
  EXPECT_EQ(grpc_config_data_type(DType::kF32), inference::TYPE_FP32);
  EXPECT_EQ(grpc_config_data_type(DType::kF64), inference::TYPE_FP64);
  EXPECT_EQ(grpc_config_data_type(DType::kBF16), inference::TYPE_BF16);
  EXPECT_EQ(grpc_config_data_type(DType::kUndefined), inference::TYPE_INVALID);
}

ModelConfig sample_config() {
  ModelConfig c;
  c.name = "resnet";
  c.max_batch_size = 8;
  c.dynamic_batching.enabled = true;
  c.dynamic_batching.preferred_batch_sizes = {4, 8};
  c.dynamic_batching.max_queue_delay_us = 500;
  c.dynamic_batching.priority_levels = 2;
  c.dynamic_batching.default_priority_level = 2;
  c.dynamic_batching.default_timeout_us = 10000;
  c.dynamic_batching.allow_timeout_override = false;
  c.instance_count = 2;
  c.device = "cuda:1";
  c.threads = 3;
  c.version_policy.kind = VersionPolicy::Kind::kSpecific;
  c.version_policy.versions = {1, 3};
  c.inputs = {{"input", DType::kF32, {3, 224, 224}}};
  c.outputs = {{"logits", DType::kF32, {1000}}};
  WarmupSample w;
  w.name = "zeros";
  w.batch_size = 4;
  w.count = 2;
  w.inputs = {{"input", DType::kF32, {3, 224, 224}, false}};
  c.warmup = {w};
  return c;
}

TEST(GrpcMessages, ModelConfigSurvivesTheWire) {
  inference::ModelConfig msg;
  model_config_to_proto(sample_config(), &msg);
  // What a client parses is the serialized form, not our object.
  inference::ModelConfig c;
  ASSERT_TRUE(c.ParseFromString(msg.SerializeAsString()));
  EXPECT_EQ(c.name(), "resnet");
  EXPECT_EQ(c.platform(), "onnxruntime_onnx");
  EXPECT_EQ(c.backend(), "fastserve");
  EXPECT_EQ(c.max_batch_size(), 8);
  ASSERT_TRUE(c.version_policy().has_specific());
  EXPECT_EQ(c.version_policy().specific().versions_size(), 2);
  EXPECT_EQ(c.version_policy().specific().versions(1), 3);
  ASSERT_EQ(c.input_size(), 1);
  EXPECT_EQ(c.input(0).name(), "input");
  EXPECT_EQ(c.input(0).data_type(), inference::TYPE_FP32);
  ASSERT_EQ(c.input(0).dims_size(), 3);
  EXPECT_EQ(c.input(0).dims(2), 224);
  ASSERT_EQ(c.output_size(), 1);
  EXPECT_EQ(c.output(0).dims(0), 1000);
  ASSERT_TRUE(c.has_dynamic_batching());
  const auto& db = c.dynamic_batching();
  ASSERT_EQ(db.preferred_batch_size_size(), 2);
  EXPECT_EQ(db.preferred_batch_size(1), 8);
  EXPECT_EQ(db.max_queue_delay_microseconds(), 500u);
  EXPECT_EQ(db.priority_levels(), 2u);
  EXPECT_EQ(db.default_priority_level(), 2u);
  EXPECT_EQ(db.default_queue_policy().default_timeout_microseconds(), 10000u);
  EXPECT_FALSE(db.default_queue_policy().allow_timeout_override());
  // 0 in the config is FastServe's bound, never "unbounded" as Triton reads 0.
  EXPECT_EQ(db.default_queue_policy().max_queue_size(), kDefaultMaxQueueSize);
  ASSERT_EQ(c.instance_group_size(), 1);
  EXPECT_EQ(c.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_GPU);
  EXPECT_EQ(c.instance_group(0).count(), 2);
  ASSERT_EQ(c.instance_group(0).gpus_size(), 1);
  EXPECT_EQ(c.instance_group(0).gpus(0), 1);
  EXPECT_EQ(c.default_model_filename(), "model.onnx");
  ASSERT_EQ(c.parameters().count("threads"), 1u);
  EXPECT_EQ(c.parameters().at("threads").string_value(), "3");
  ASSERT_EQ(c.model_warmup_size(), 1);
  EXPECT_EQ(c.model_warmup(0).name(), "zeros");
  EXPECT_EQ(c.model_warmup(0).batch_size(), 4u);
  EXPECT_EQ(c.model_warmup(0).count(), 2u);
  ASSERT_EQ(c.model_warmup(0).inputs().count("input"), 1u);
  EXPECT_TRUE(c.model_warmup(0).inputs().at("input").zero_data());
  EXPECT_EQ(c.model_warmup(0).inputs().at("input").dims_size(), 3);
}

TEST(GrpcMessages, DefaultConfigIsCpuLatestWithoutBatching) {
  ModelConfig cfg;
  cfg.name = "tiny";
  cfg.dynamic_batching.max_queue_size = 16;  // ignored: batching is off
  inference::ModelConfig c;
  model_config_to_proto(cfg, &c);
  ASSERT_TRUE(c.version_policy().has_latest());
  EXPECT_EQ(c.version_policy().latest().num_versions(), 1u);
  EXPECT_FALSE(c.has_dynamic_batching());
  EXPECT_EQ(c.instance_group(0).kind(), inference::ModelInstanceGroup::KIND_CPU);
  EXPECT_EQ(c.instance_group(0).gpus_size(), 0);
  EXPECT_EQ(c.instance_group(0).name(), "tiny_0");
  EXPECT_EQ(c.parameters().count("threads"), 0u);

  cfg.version_policy.kind = VersionPolicy::Kind::kAll;
  cfg.dynamic_batching.enabled = true;
  inference::ModelConfig c2;
  model_config_to_proto(cfg, &c2);
  EXPECT_TRUE(c2.version_policy().has_all());
  EXPECT_EQ(c2.dynamic_batching().default_queue_policy().max_queue_size(), 16u);
}

TEST(GrpcMessages, MetadataKeepsTensorOrderAndShapes) {
  ModelMetadata m;
  m.name = "tiny";
  m.versions = {"1", "2"};
  m.platform = "onnxruntime_onnx";
  m.inputs = {{"input", "FP32", DType::kF32, {-1, 1, 28, 28}}};
  m.outputs = {{"logits", "FP32", DType::kF32, {-1, 10}}, {"aux", "INT64", DType::kI64, {1}}};
  inference::ModelMetadataResponse r;
  model_metadata_to_proto(m, &r);
  EXPECT_EQ(r.name(), "tiny");
  ASSERT_EQ(r.versions_size(), 2);
  EXPECT_EQ(r.versions(1), "2");
  EXPECT_EQ(r.platform(), "onnxruntime_onnx");
  ASSERT_EQ(r.inputs_size(), 1);
  EXPECT_EQ(r.inputs(0).shape(0), -1);
  EXPECT_EQ(r.inputs(0).shape(3), 28);
  ASSERT_EQ(r.outputs_size(), 2);
  EXPECT_EQ(r.outputs(1).name(), "aux");
  EXPECT_EQ(r.outputs(1).datatype(), "INT64");
}

TEST(GrpcMessages, StatisticsCarryEveryDuration) {
  ModelStatistics s;
  s.name = "tiny";
  s.version = "1";
  s.last_inference_ms = 1700000000000ull;
  s.inference_count = 12;
  s.execution_count = 5;
  s.success = {10, 1000};
  s.fail = {2, 20};
  s.queue = {10, 300};
  s.compute_input = {5, 40};
  s.compute_infer = {5, 500};
  s.compute_output = {5, 60};
  BatchStat b;
  b.batch_size = 4;
  b.compute_infer = {3, 450};
  s.batch_stats = {b};
  inference::ModelStatistics o;
  model_statistics_to_proto(s, &o);
  EXPECT_EQ(o.name(), "tiny");
  EXPECT_EQ(o.version(), "1");
  EXPECT_EQ(o.last_inference(), 1700000000000ull);
  EXPECT_EQ(o.inference_count(), 12u);
  EXPECT_EQ(o.execution_count(), 5u);
  EXPECT_EQ(o.inference_stats().success().count(), 10u);
  EXPECT_EQ(o.inference_stats().success().ns(), 1000u);
  EXPECT_EQ(o.inference_stats().fail().count(), 2u);
  EXPECT_EQ(o.inference_stats().queue().ns(), 300u);
  EXPECT_EQ(o.inference_stats().compute_input().ns(), 40u);
  EXPECT_EQ(o.inference_stats().compute_infer().ns(), 500u);
  EXPECT_EQ(o.inference_stats().compute_output().ns(), 60u);
  EXPECT_TRUE(o.inference_stats().has_cache_hit());
  EXPECT_EQ(o.inference_stats().cache_hit().count(), 0u);
  ASSERT_EQ(o.batch_stats_size(), 1);
  EXPECT_EQ(o.batch_stats(0).batch_size(), 4u);
  EXPECT_EQ(o.batch_stats(0).compute_infer().count(), 3u);
  EXPECT_EQ(o.batch_stats(0).compute_infer().ns(), 450u);
}

TEST(GrpcMessages, RepositoryIndexListsStateAndReason) {
  inference::RepositoryIndexResponse r;
  repository_index_to_proto({{"a", "1", "READY", ""}, {"b", "", "UNAVAILABLE", "model.onnx: bad magic"}}, &r);
  ASSERT_EQ(r.models_size(), 2);
  EXPECT_EQ(r.models(0).name(), "a");
  EXPECT_EQ(r.models(0).version(), "1");
  EXPECT_EQ(r.models(0).state(), "READY");
  EXPECT_EQ(r.models(1).state(), "UNAVAILABLE");
  EXPECT_EQ(r.models(1).reason(), "model.onnx: bad magic");
}

}  // namespace
}  // namespace fastserve::serve
