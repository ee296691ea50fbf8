// config.pbtxt parsing (the text-format reader and Triton's field mapping),
// its errors, and the Triton JSON written for /v2/models/{m}/config.
#include "serve/model_config.h"

#include <gtest/gtest.h>
#include <simdjson.h>

#include <cmath>
#include <string>
#include <vector>

#include "serve/pbtxt.h"

namespace fastserve::serve {
namespace {

const char* const kWhere = "repo/resnet/config.pbtxt";

// A config in the shape Triton's docs and model zoos write them, touching
// every field FastServe reads plus several it accepts and ignores.
const char* const kFullConfig = R"pb(# ResNet-50, batched
name: "resnet"
platform: "onnxruntime_onnx"
max_batch_size: 8
input [
  {
    name: "data"
    data_type: TYPE_FP32
    format: FORMAT_NCHW
    dims: [ 3, 224, 224 ]
    reshape { shape: [ 1, 3, 224, 224 ] }
  }
]
output [
  {
    name: "prob"
    data_type: TYPE_FP32
    dims: [ -1 ]
    label_filename: "labels.txt"
  },
  { name: 'index', data_type: TYPE_INT64, dims: 1 }
]
instance_group [ { count: 2, kind: KIND_CPU } ]
dynamic_batching {
  preferred_batch_size: [ 4, 8 ]
  max_queue_delay_microseconds: 100
  preserve_ordering: true
  priority_levels: 2
  default_priority_level: 2
  default_queue_policy {
    max_queue_size: 64
    default_timeout_microseconds: 5000
    allow_timeout_override: false
    timeout_action: REJECT
  }
  priority_queue_policy { key: 1 value { max_queue_size: 8 } }
}
version_policy: { specific: { versions: [1, 3] } }
model_warmup [
  {
    name: "zeros"
    batch_size: 4
    count: 2
    inputs {
      key: "data"
      value { data_type: TYPE_FP32 dims: [ 3, 224, 224 ] zero_data: true }
    }
  }
]
parameters { key: "threads" value { string_value: "2" } }
parameters: { key: "intra_op_thread_count" value: { string_value: "4" } }
optimization { execution_accelerators { cpu_execution_accelerator: [ { name: "openvino" } ] } }
model_transaction_policy { decoupled: false }
response_cache { enable: true }
default_model_filename: "net.onnx"
)pb";

ModelConfig parse_ok(const std::string& text) {
  Result<ModelConfig> r = parse_model_config(text, kWhere);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? r.value() : ModelConfig{};
}

// ---- the text-format reader ------------------------------------------------

TEST(Pbtxt, AcceptsEveryValueSyntax) {
  auto r = parse_pbtxt(R"(a: 1, b: -2.5e3; c: 0x1F
    d: [1, 2 ,3] e { x: 1 } f: { } g < y: 'q' > h [ {z: 1}, {z: 2} ]
    i: TYPE_FP32 j: true k: "ab" 'cd'  # comment with "quotes" and {braces}
    l: -inf m: - 7 n: [])",
                       "t");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::vector<PbField>& f = r.value();
  std::vector<std::string> names;
  for (const PbField& x : f) names.push_back(x.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c", "d", "d", "d", "e", "f", "g", "h", "h", "i", "j",
                                             "k", "l", "m"}));
  EXPECT_EQ(pb_int64(f[0], "t", "a").value(), 1);
  EXPECT_DOUBLE_EQ(pb_double(f[1], "t", "b").value(), -2500.0);
  EXPECT_EQ(pb_int64(f[2], "t", "c").value(), 31);
  EXPECT_EQ(pb_int64(f[5], "t", "d").value(), 3);
  EXPECT_EQ(f[6].kind, PbField::Kind::kMessage);
  ASSERT_EQ(f[6].fields.size(), 1u);
  EXPECT_TRUE(f[7].fields.empty());
  EXPECT_EQ(pb_string(f[8].fields[0], "t", "y").value(), "q");
  EXPECT_EQ(pb_int64(f[10].fields[0], "t", "z").value(), 2);
  EXPECT_EQ(pb_enum(f[11], "t", "i").value(), "TYPE_FP32");
  EXPECT_TRUE(pb_bool(f[12], "t", "j").value());
  EXPECT_EQ(pb_string(f[13], "t", "k").value(), "abcd");
  EXPECT_TRUE(std::isinf(pb_double(f[14], "t", "l").value()));
  EXPECT_LT(pb_double(f[14], "t", "l").value(), 0);
  EXPECT_EQ(pb_int64(f[15], "t", "m").value(), -7);
  EXPECT_EQ(f[3].line, 2);
  EXPECT_EQ(f[15].name_line, 4);
}

TEST(Pbtxt, DecodesStringEscapes) {
  auto r = parse_pbtxt(R"(s: "a\"b\\c\n\t\x41\101\u00e9" t: 'it\'s')", "t");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()[0].text, "a\"b\\c\n\tAA\xc3\xa9");
  EXPECT_EQ(r.value()[1].text, "it's");
}

TEST(Pbtxt, TypedReadsRejectWrongKinds) {
  auto r = parse_pbtxt("a: \"5\"\nb: 1.5\nc: -1\nd: maybe\ne { }\nf: 9999999999999999999", "t");
  ASSERT_TRUE(r.ok());
  const auto& f = r.value();
  EXPECT_FALSE(pb_int64(f[0], "t", "a").ok());
  EXPECT_NE(pb_int64(f[1], "t", "b").status().message().find("t: line 2: b: expected an integer"),
            std::string::npos);
  EXPECT_NE(pb_uint64(f[2], "t", "c").status().message().find("line 3: c: must not be negative"),
            std::string::npos);
  EXPECT_FALSE(pb_bool(f[3], "t", "d").ok());
  EXPECT_FALSE(pb_string(f[4], "t", "e").ok());
  EXPECT_FALSE(pb_message(f[0], "t", "a").ok());
  EXPECT_NE(pb_int64(f[5], "t", "f").status().message().find("does not fit"), std::string::npos);
}

TEST(Pbtxt, SyntaxErrorsNameLineAndColumn) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"a: 1\nb 2", "t: line 2, column 3: expected ':' or '{' after field name 'b'"},
      {"a {\n  b: 1\n", "t: line 3, column 1: expected '}' before the end of input"},
      {"a: \"abc\nd\"", "t: line 1, column 8: newline inside a string"},
      {"a: \"abc", "t: line 1, column 8: unterminated string"},
      {"a: [1, 2\nb: 3", "t: line 2, column 1: expected ',' or ']'"},
      {"\n\n  a: }", "t: line 3, column 6: expected a value for 'a'"},
      {"a: 1\n}", "t: line 2, column 1: expected a field name"},
      {"a: \"\\q\"", "t: line 1, column 7: unknown escape '\\q'"},
      {"a: - x", "t: line 1, column 7: expected a number after '-', found 'x'"},
      {"[ext.field]: 1", "t: line 1, column 1: extension and Any field names are not supported"},
  };
  for (const Case& c : cases) {
    auto r = parse_pbtxt(c.text, "t");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind(c.expected, 0), 0u) << r.status().message();
  }
}

TEST(Pbtxt, RejectsRunawayNesting) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "a {";
  auto r = parse_pbtxt(deep, "t");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper than"), std::string::npos);
}

// ---- Triton's fields ---------------------------------------------------------

TEST(ModelConfig, ParsesFullTritonConfig) {
  ModelConfig c = parse_ok(kFullConfig);
  EXPECT_EQ(c.name, "resnet");
  EXPECT_EQ(c.platform, "onnxruntime_onnx");
  EXPECT_EQ(c.max_batch_size, 8);
  ASSERT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.inputs[0].name, "data");
  EXPECT_EQ(c.inputs[0].dtype, DType::kF32);
  EXPECT_EQ(c.inputs[0].dims, (std::vector<int64_t>{3, 224, 224}));
  ASSERT_EQ(c.outputs.size(), 2u);
  EXPECT_EQ(c.outputs[0].dims, (std::vector<int64_t>{-1}));
  EXPECT_EQ(c.outputs[1].name, "index");
  EXPECT_EQ(c.outputs[1].dtype, DType::kI64);
  EXPECT_EQ(c.outputs[1].dims, (std::vector<int64_t>{1}));
  EXPECT_EQ(c.instance_count, 2);
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.threads, 2);
  EXPECT_EQ(c.version_policy.kind, VersionPolicy::Kind::kSpecific);
  EXPECT_EQ(c.version_policy.versions, (std::vector<int64_t>{1, 3}));
  ASSERT_EQ(c.warmup.size(), 1u);
  EXPECT_EQ(c.warmup[0].name, "zeros");
  EXPECT_EQ(c.warmup[0].batch_size, 4);
  EXPECT_EQ(c.warmup[0].count, 2);
  ASSERT_EQ(c.warmup[0].inputs.size(), 1u);
  EXPECT_EQ(c.warmup[0].inputs[0].name, "data");
  EXPECT_EQ(c.warmup[0].inputs[0].dims, (std::vector<int64_t>{3, 224, 224}));
  EXPECT_FALSE(c.warmup[0].inputs[0].random);
  EXPECT_EQ(c.default_model_filename, "net.onnx");
}

TEST(ModelConfig, ParsesDynamicBatchingBlock) {
  const DynamicBatchingConfig d = parse_ok(kFullConfig).dynamic_batching;
  EXPECT_TRUE(d.enabled);
  EXPECT_EQ(d.preferred_batch_sizes, (std::vector<int64_t>{4, 8}));
  EXPECT_EQ(d.max_queue_delay_us, 100u);
  EXPECT_EQ(d.priority_levels, 2u);
  EXPECT_EQ(d.default_priority_level, 2u);
  EXPECT_EQ(d.max_queue_size, 64u);
  EXPECT_EQ(d.default_timeout_us, 5000u);
  EXPECT_FALSE(d.allow_timeout_override);
}

TEST(ModelConfig, EmptyDynamicBatchingBlockEnablesIt) {
  ModelConfig c = parse_ok("max_batch_size: 4\ndynamic_batching { }");
  EXPECT_TRUE(c.dynamic_batching.enabled);
  EXPECT_TRUE(c.dynamic_batching.preferred_batch_sizes.empty());
  EXPECT_EQ(c.dynamic_batching.max_queue_size, 0u);
  EXPECT_TRUE(c.dynamic_batching.allow_timeout_override);
}

TEST(ModelConfig, EmptyTextGivesDefaults) {
  ModelConfig c = parse_ok("# nothing but a comment\n");
  ModelConfig d;
  EXPECT_EQ(c.name, "");
  EXPECT_EQ(c.platform, d.platform);
  EXPECT_EQ(c.backend, d.backend);
  EXPECT_EQ(c.max_batch_size, 0);
  EXPECT_FALSE(c.dynamic_batching.enabled);
  EXPECT_EQ(c.instance_count, 1);
  EXPECT_EQ(c.device, "cpu");
  EXPECT_EQ(c.threads, 0);
  EXPECT_EQ(c.version_policy.kind, VersionPolicy::Kind::kLatest);
  EXPECT_EQ(c.version_policy.num_versions, 1);
  EXPECT_EQ(c.default_model_filename, "model.onnx");
}

TEST(ModelConfig, ReadsEachVersionPolicy) {
  ModelConfig latest = parse_ok("version_policy { latest { num_versions: 2 } }");
  EXPECT_EQ(latest.version_policy.kind, VersionPolicy::Kind::kLatest);
  EXPECT_EQ(latest.version_policy.num_versions, 2);
  ModelConfig all = parse_ok("version_policy: { all { } }");
  EXPECT_EQ(all.version_policy.kind, VersionPolicy::Kind::kAll);
  ModelConfig specific = parse_ok("version_policy { specific { versions: 4 versions: 2 } }");
  EXPECT_EQ(specific.version_policy.versions, (std::vector<int64_t>{4, 2}));
}

TEST(ModelConfig, MapsInstanceGroupKindsToDevices) {
  EXPECT_EQ(parse_ok("instance_group [ { kind: KIND_GPU, gpus: [ 1 ] } ]").device, "cuda:1");
  EXPECT_EQ(parse_ok("instance_group { kind: KIND_GPU }").device, "cuda:0");
  EXPECT_EQ(parse_ok("instance_group { kind: KIND_AUTO gpus: 2 }").device, "cuda:2");
  ModelConfig automatic = parse_ok("instance_group { count: 3 }");  // KIND_AUTO, no gpus: the server's device
  EXPECT_EQ(automatic.device, "cpu");
  EXPECT_EQ(automatic.instance_count, 3);
  ModelConfig two = parse_ok("instance_group { count: 2 kind: KIND_CPU }\ninstance_group { count: 3 kind: KIND_CPU }");
  EXPECT_EQ(two.instance_count, 5);
}

TEST(ModelConfig, ReadsWarmupRandomDataAndDefaultCount) {
  ModelConfig c = parse_ok(R"(max_batch_size: 2
model_warmup {
  name: "r"
  inputs [ { key: "a" value { data_type: TYPE_INT64 dims: [ 2 ] random_data: true } },
           { key: "b" value { data_type: TYPE_BOOL zero_data: true } } ]
})");
  ASSERT_EQ(c.warmup.size(), 1u);
  const WarmupSample& w = c.warmup[0];
  EXPECT_EQ(w.batch_size, 1);
  EXPECT_EQ(w.count, 1);
  ASSERT_EQ(w.inputs.size(), 2u);
  EXPECT_TRUE(w.inputs[0].random);
  EXPECT_EQ(w.inputs[0].dtype, DType::kI64);
  EXPECT_EQ(w.inputs[1].dtype, DType::kBool);
  EXPECT_TRUE(w.inputs[1].dims.empty());
  EXPECT_EQ(parse_ok("model_warmup { name: \"z\" count: 0 }").warmup[0].count, 1);  // Triton: 0 = once
}

TEST(ModelConfig, AcceptsBackendSpellingsOfOnnx) {
  EXPECT_EQ(parse_ok("backend: \"onnxruntime\"").backend, "onnxruntime");
  EXPECT_EQ(parse_ok("backend: \"fastserve\" platform: \"onnxruntime_onnx\"").backend, "fastserve");
}

TEST(ModelConfig, EveryErrorNamesTheLine) {
  struct Case {
    const char* text;
    StatusCode code;
    const char* expected;  // the message after "<where>: "
  };
  const Case cases[] = {
      {"name: \"m\"\nmax_batch: 4", StatusCode::kInvalidArgument, "line 2: unknown field 'max_batch'"},
      {"dynamic_batching {\n  max_delay: 1\n}", StatusCode::kInvalidArgument,
       "line 2: unknown field 'max_delay' in dynamic_batching"},
      {"input { name: \"x\"\n wrong: 1 }", StatusCode::kInvalidArgument, "line 2: unknown field 'wrong' in input"},
      {"\nmax_batch_size: \"8\"", StatusCode::kInvalidArgument, "line 2: max_batch_size: expected an integer"},
      {"max_batch_size: -1", StatusCode::kInvalidArgument, "line 1: max_batch_size: -1 is outside [0, 2147483647]"},
      {"name: 3", StatusCode::kInvalidArgument, "line 1: name: expected a quoted string"},
      {"input { name: \"x\"\n data_type: TYPE_FLOAT }", StatusCode::kInvalidArgument,
       "line 2: input.data_type: unknown data type 'TYPE_FLOAT'"},
      {"input { name: \"x\" data_type: \"TYPE_FP32\" }", StatusCode::kInvalidArgument,
       "line 1: input.data_type: expected an enum name"},
      {"input { dims: [ 1 ] }", StatusCode::kInvalidArgument, "line 1: input needs a name"},
      {"input { name: \"x\" dims: [ -2 ] }", StatusCode::kInvalidArgument, "line 1: input.dims: -2 is outside"},
      {"input { name: \"x\" }\n\ninput { name: \"x\" }", StatusCode::kInvalidArgument,
       "line 3: input 'x' given twice"},
      {"name: \"a\"\n\nname: \"b\"", StatusCode::kInvalidArgument, "line 3: name given twice (first on line 1)"},
      {"max_batch_size: 4\ndynamic_batching {\n preferred_batch_size: [2,\n 8] }", StatusCode::kInvalidArgument,
       "line 4: dynamic_batching.preferred_batch_size: 8 is above max_batch_size (4)"},
      {"dynamic_batching {\n preferred_batch_size: 0 }", StatusCode::kInvalidArgument,
       "line 2: dynamic_batching.preferred_batch_size: 0 is not a batch size"},
      {"dynamic_batching { priority_levels: 2\n default_priority_level: 3 }", StatusCode::kInvalidArgument,
       "line 2: dynamic_batching.default_priority_level: 3 is above priority_levels (2)"},
      {"dynamic_batching { priority_levels: 2 }", StatusCode::kInvalidArgument,
       "line 1: dynamic_batching.default_priority_level: must be in [1, 2]"},
      {"dynamic_batching { default_queue_policy {\n timeout_action: WAIT } }", StatusCode::kInvalidArgument,
       "line 2: dynamic_batching.default_queue_policy.timeout_action: unknown action 'WAIT'"},
      {"dynamic_batching { default_queue_policy {\n allow_timeout_override: yes } }", StatusCode::kInvalidArgument,
       "line 2: dynamic_batching.default_queue_policy.allow_timeout_override: expected true or false"},
      {"dynamic_batching { max_queue_delay_microseconds: -5 }", StatusCode::kInvalidArgument,
       "line 1: dynamic_batching.max_queue_delay_microseconds: must not be negative"},
      {"instance_group {\n count: 0 }", StatusCode::kInvalidArgument, "line 2: instance_group.count: 0 is outside"},
      {"instance_group { kind: KIND_TPU }", StatusCode::kInvalidArgument,
       "line 1: instance_group.kind: unknown kind 'KIND_TPU'"},
      {"instance_group { kind: KIND_MODEL }", StatusCode::kUnsupported, "line 1: instance_group.kind: KIND_MODEL"},
      {"instance_group { kind: KIND_CPU\n gpus: 0 }", StatusCode::kInvalidArgument,
       "line 2: instance_group.gpus: not valid with KIND_CPU"},
      {"instance_group { kind: KIND_GPU gpus: [0,\n 1] }", StatusCode::kUnsupported,
       "line 2: instance_group.gpus: a model runs on one device"},
      {"instance_group { kind: KIND_CPU }\ninstance_group { kind: KIND_GPU }", StatusCode::kUnsupported,
       "line 2: instance_group: groups on cpu and cuda:0"},
      {"version_policy { latest { num_versions: 0 } }", StatusCode::kInvalidArgument,
       "line 1: version_policy.latest.num_versions: 0 is outside"},
      {"version_policy { latest { }\n all { } }", StatusCode::kInvalidArgument,
       "line 2: version_policy: give one of latest, all, specific"},
      {"version_policy { specific { } }", StatusCode::kInvalidArgument, "line 1: version_policy.specific: lists no versions"},
      {"version_policy { newest { } }", StatusCode::kInvalidArgument, "line 1: unknown field 'newest' in version_policy"},
      {"max_batch_size: 2\nmodel_warmup { name: \"w\"\n batch_size: 3 }", StatusCode::kInvalidArgument,
       "line 3: model_warmup.batch_size: 3 is above max_batch_size (2)"},
      {"model_warmup { name: \"w\" batch_size: 2 }", StatusCode::kInvalidArgument,
       "line 1: model_warmup.batch_size: 2 needs max_batch_size > 0"},
      {"model_warmup { batch_size: 1 }", StatusCode::kInvalidArgument, "line 1: model_warmup: needs a name"},
      {"model_warmup { name: \"w\" inputs {\n key: \"a\" value { data_type: TYPE_FP32 } } }",
       StatusCode::kInvalidArgument, "line 2: model_warmup.inputs 'a': needs zero_data or random_data"},
      {"model_warmup { name: \"w\" inputs { key: \"a\" value {\n zero_data: true } } }", StatusCode::kInvalidArgument,
       "line 1: model_warmup.inputs 'a': needs data_type"},
      {"model_warmup { name: \"w\" inputs { key: \"a\" value { data_type: TYPE_FP32\n dims: -1 zero_data: true } } }",
       StatusCode::kInvalidArgument, "line 2: model_warmup.inputs.value.dims: -1 is outside"},
      {"model_warmup { name: \"w\" inputs { key: \"a\" value {\n input_data_file: \"a.bin\" } } }",
       StatusCode::kUnsupported, "line 2: model_warmup.inputs.value.input_data_file is not supported"},
      {"parameters { key: \"threads\"\n value { string_value: \"two\" } }", StatusCode::kInvalidArgument,
       "line 2: parameters 'threads': expected a thread count"},
      {"parameters { key: \"threads\" value {\n int_value: 2 } }", StatusCode::kInvalidArgument,
       "line 2: unknown field 'int_value' in parameters.value"},
      {"parameters { value { string_value: \"1\" } }", StatusCode::kInvalidArgument, "line 1: parameters: entry needs a key"},
      {"\nplatform: \"pytorch_libtorch\"", StatusCode::kUnsupported, "line 2: platform 'pytorch_libtorch' is not served"},
      {"backend: \"python\"", StatusCode::kUnsupported, "line 1: backend 'python' is not served"},
      {"default_model_filename: \"../x.onnx\"", StatusCode::kInvalidArgument,
       "line 1: default_model_filename: must be a file name"},
      {"dynamic_batching: 5", StatusCode::kInvalidArgument, "line 1: dynamic_batching: expected a message"},
      {"input: \"x\"", StatusCode::kInvalidArgument, "line 1: input: expected a message"},
      {"model_warmup { name: \"w\"\n inputs: 4 }", StatusCode::kInvalidArgument,
       "line 2: model_warmup.inputs: expected a message"},
      {"model_warmup { name: \"w\" inputs { key: \"a\"\n value: 1 } }", StatusCode::kInvalidArgument,
       "line 2: model_warmup.inputs.value: expected a message"},
      {"version_policy { latest: 1 }", StatusCode::kInvalidArgument, "line 1: version_policy.latest: expected a message"},
      {"parameters { key: \"k\" value: \"v\" }", StatusCode::kInvalidArgument,
       "line 1: parameters.value: expected a message"},
      {"max_batch_size 4", StatusCode::kInvalidArgument, "line 1, column 16: expected ':' or '{'"},
  };
  for (const Case& c : cases) {
    Result<ModelConfig> r = parse_model_config(c.text, kWhere);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), c.code) << c.text << " -> " << r.status().to_string();
    const std::string expected = std::string(kWhere) + ": " + c.expected;
    EXPECT_EQ(r.status().message().rfind(expected, 0), 0u) << "got:      " << r.status().message()
                                                           << "\nexpected: " << expected;
  }
}

TEST(ModelConfig, IgnoresTritonFieldsItDoesNotActOn) {
  ModelConfig c = parse_ok(R"(
runtime: "libtriton_onnxruntime.so"
sequence_batching { max_sequence_idle_microseconds: 5000000 }
ensemble_scheduling { step [ { model_name: "a" model_version: -1 } ] }
cc_model_filenames { key: "7.5" value: "model_75.onnx" }
metric_tags { key: "team" value: "vision" }
model_operations { op_library_filename: "libcustom.so" }
model_repository_agents { agents [ { name: "checksum" } ] }
model_metrics { }
batch_input [ { kind: BATCH_ELEMENT_COUNT target_name: "n" data_type: TYPE_FP32 source_input: "x" } ]
instance_group { name: "g" count: 1 kind: KIND_CPU passive: false host_policy: "cpu" profile: "0" }
input { name: "x" is_shape_tensor: false allow_ragged_batch: true optional: true is_non_linear_format_io: false }
parameters { key: "execution_mode" value { string_value: "1" } }
)");
  EXPECT_EQ(c.inputs.size(), 1u);
  EXPECT_EQ(c.threads, 0);
}

// ---- JSON --------------------------------------------------------------------

TEST(ModelConfig, DTypeNamesRoundTrip) {
  const DType all[] = {DType::kBool, DType::kU8,  DType::kU16, DType::kU32, DType::kU64,
                       DType::kI8,   DType::kI16, DType::kI32, DType::kI64, DType::kF16,
                       DType::kF32,  DType::kF64, DType::kBF16, DType::kString};
  for (DType t : all) EXPECT_EQ(dtype_from_config_name(dtype_config_name(t)), t) << dtype_config_name(t);
  EXPECT_STREQ(dtype_config_name(DType::kF32), "TYPE_FP32");
  EXPECT_STREQ(dtype_config_name(DType::kBF16), "TYPE_BF16");
  EXPECT_EQ(dtype_from_config_name("TYPE_STRING"), DType::kString);
  EXPECT_EQ(dtype_from_config_name("FP32"), DType::kUndefined);
  EXPECT_STREQ(dtype_config_name(DType::kUndefined), "TYPE_INVALID");
}

TEST(ModelConfig, JsonCarriesTritonFields) {
  const std::string json = model_config_to_json(parse_ok(kFullConfig));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(json).get(doc), simdjson::SUCCESS) << json;

  std::string_view s;
  int64_t i = 0;
  ASSERT_EQ(doc["name"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "resnet");
  ASSERT_EQ(doc["platform"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "onnxruntime_onnx");
  ASSERT_EQ(doc["max_batch_size"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 8);
  ASSERT_EQ(doc["input"].at(0)["data_type"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "TYPE_FP32");
  ASSERT_EQ(doc["input"].at(0)["format"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "FORMAT_NONE");
  ASSERT_EQ(doc["input"].at(0)["dims"].at(2).get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 224);
  ASSERT_EQ(doc["output"].at(1)["data_type"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "TYPE_INT64");
  ASSERT_EQ(doc["output"].at(0)["dims"].at(0).get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, -1);
  ASSERT_EQ(doc["instance_group"].at(0)["kind"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "KIND_CPU");
  ASSERT_EQ(doc["instance_group"].at(0)["count"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 2);
  ASSERT_EQ(doc["version_policy"]["specific"]["versions"].at(1).get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 3);
  ASSERT_EQ(doc["dynamic_batching"]["preferred_batch_size"].at(1).get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 8);
  ASSERT_EQ(doc["dynamic_batching"]["max_queue_delay_microseconds"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 100);
  ASSERT_EQ(doc["dynamic_batching"]["default_queue_policy"]["max_queue_size"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 64);
  bool b = true;
  ASSERT_EQ(doc["dynamic_batching"]["default_queue_policy"]["allow_timeout_override"].get(b), simdjson::SUCCESS);
  EXPECT_FALSE(b);
  ASSERT_EQ(doc["default_model_filename"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "net.onnx");
  ASSERT_EQ(doc["model_warmup"].at(0)["inputs"]["data"]["zero_data"].get(b), simdjson::SUCCESS);
  EXPECT_TRUE(b);
  ASSERT_EQ(doc["model_warmup"].at(0)["count"].get(i), simdjson::SUCCESS);
  EXPECT_EQ(i, 2);
  ASSERT_EQ(doc["parameters"]["threads"]["string_value"].get(s), simdjson::SUCCESS);
  EXPECT_EQ(s, "2");
}

TEST(ModelConfig, JsonOmitsDynamicBatchingWhenOffAndShowsTheQueueBound) {
  ModelConfig c;
  c.name = "m\"q";
  c.device = "cuda:3";
  const std::string off = model_config_to_json(c);
  EXPECT_EQ(off.find("dynamic_batching"), std::string::npos);
  EXPECT_NE(off.find("\"name\":\"m\\\"q\""), std::string::npos) << off;
  EXPECT_NE(off.find("\"kind\":\"KIND_GPU\",\"count\":1,\"gpus\":[3]"), std::string::npos) << off;
  EXPECT_NE(off.find("\"version_policy\":{\"latest\":{\"num_versions\":1}}"), std::string::npos) << off;
  EXPECT_NE(off.find("\"parameters\":{}"), std::string::npos) << off;
  c.dynamic_batching.enabled = true;
  const std::string on = model_config_to_json(c);
  EXPECT_NE(on.find("\"max_queue_size\":" + std::to_string(kDefaultMaxQueueSize)), std::string::npos) << on;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  EXPECT_EQ(parser.parse(off).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(parser.parse(on).get(doc), simdjson::SUCCESS);
}

}  // namespace
}  // namespace fastserve::serve
