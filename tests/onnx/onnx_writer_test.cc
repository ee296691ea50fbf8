// onnx_writer: a written model reads back (with our reader) to the same
// nodes, attributes of every kind, initializers (sub-byte types included)
// and value types, and a session on the re-read model computes what one on
// the original does (the shipped CNN after the passes, a small MatMul
// graph). Models the writer cannot express and unwritable paths are errors
// that say so.
#include "onnx/onnx_writer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "onnx/onnx_reader.h"
#include "runtime/kernel_registry.h"
#include "runtime/optimize_model.h"
#include "tests/onnx/temp_dir.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_float;
using testing::attr_floats;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::attr_tensor;
using testing::TestModel;

Result<std::shared_ptr<Model>> round_trip(const Model& m) {
  FS_ASSIGN_OR_RETURN(std::string bytes, serialize_onnx_model(m));
  auto buffer = std::make_shared<std::string>(std::move(bytes));
  return load_onnx_model_from_memory(buffer->data(), buffer->size(), "written.onnx", "", buffer);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() && a.nbytes() == b.nbytes() &&
         std::memcmp(a.raw_data(), b.raw_data(), a.nbytes()) == 0;
}

void expect_same_graph(const Model& want, const Model& got) {
  const Graph& a = want.graph;
  const Graph& b = got.graph;
  EXPECT_EQ(got.opsets, want.opsets);
  EXPECT_EQ(got.producer_name, "fastserve");
  ASSERT_EQ(b.nodes.size(), a.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const Node& x = a.nodes[i];
    const Node& y = b.nodes[i];
    SCOPED_TRACE("node " + x.name);
    EXPECT_EQ(y.name, x.name);
    EXPECT_EQ(y.op_type, x.op_type);
    EXPECT_EQ(y.domain, x.domain);
    ASSERT_EQ(y.inputs.size(), x.inputs.size());
    for (size_t k = 0; k < x.inputs.size(); ++k) {
      EXPECT_EQ(testing::input_name(b, y, k), testing::input_name(a, x, k));
    }
    ASSERT_EQ(y.outputs.size(), x.outputs.size());
    for (size_t k = 0; k < x.outputs.size(); ++k) {
      EXPECT_EQ(b.values[static_cast<size_t>(y.outputs[k])].name, a.values[static_cast<size_t>(x.outputs[k])].name);
    }
    ASSERT_EQ(y.attributes.size(), x.attributes.size());
    for (size_t k = 0; k < x.attributes.size(); ++k) {
      const Attribute& p = x.attributes[k];
      const Attribute& q = y.attributes[k];
      SCOPED_TRACE("attribute " + p.name);
      EXPECT_EQ(q.name, p.name);
      EXPECT_EQ(q.kind, p.kind);
      EXPECT_EQ(q.f, p.f);
      EXPECT_EQ(q.i, p.i);
      EXPECT_EQ(q.s, p.s);
      EXPECT_EQ(q.floats, p.floats);
      EXPECT_EQ(q.ints, p.ints);
      EXPECT_EQ(q.strings, p.strings);
      if (p.kind == Attribute::Kind::kTensor) {
        EXPECT_TRUE(same_bytes(q.t, p.t));
      }
    }
  }
  int64_t constants = 0;
  for (const Value& v : a.values) {
    if (!v.is_constant()) continue;
    ++constants;
    const ValueId id = b.find_value(v.name);
    ASSERT_NE(id, kNoValue) << v.name;
    EXPECT_TRUE(same_bytes(b.values[static_cast<size_t>(id)].initializer, v.initializer)) << v.name;
  }
  int64_t got_constants = 0;
  for (const Value& v : b.values) got_constants += v.is_constant() ? 1 : 0;
  EXPECT_EQ(got_constants, constants);
  ASSERT_EQ(b.inputs.size(), a.inputs.size());
  ASSERT_EQ(b.outputs.size(), a.outputs.size());
  for (size_t i = 0; i < a.outputs.size(); ++i) {
    const Value& x = a.values[static_cast<size_t>(a.outputs[i])];
    const Value& y = b.values[static_cast<size_t>(b.outputs[i])];
    EXPECT_EQ(y.name, x.name);
    EXPECT_EQ(y.dtype, x.dtype);
    EXPECT_EQ(y.shape, x.shape);
  }
}

// Both models on the same random inputs.
void expect_same_outputs(std::shared_ptr<const Model> a, std::shared_ptr<const Model> b, uint32_t seed) {
  SessionOptions o;
  o.num_threads = 1;
  Result<std::unique_ptr<Session>> sa = Session::create(a, o);
  Result<std::unique_ptr<Session>> sb = Session::create(b, o);
  ASSERT_TRUE(sa.ok()) << sa.status().to_string();
  ASSERT_TRUE(sb.ok()) << sb.status().to_string();
  const std::vector<NamedTensor> feeds = testing::random_inputs(*a, seed);
  Result<std::vector<NamedTensor>> ya = (*sa)->run(feeds);
  Result<std::vector<NamedTensor>> yb = (*sb)->run(feeds);
  ASSERT_TRUE(ya.ok()) << ya.status().to_string();
  ASSERT_TRUE(yb.ok()) << yb.status().to_string();
  ASSERT_EQ(yb->size(), ya->size());
  for (size_t i = 0; i < ya->size(); ++i) {
    EXPECT_EQ((*yb)[i].name, (*ya)[i].name);
    EXPECT_TRUE(testing::tensors_near((*yb)[i].tensor, (*ya)[i].tensor, 1e-6, 1e-5)) << (*ya)[i].name;
  }
}

// The model after the passes of `level`, as inspect --dump-graph writes it.
std::shared_ptr<Model> optimized(const Model& m, int level) {
  auto copy = std::make_shared<Model>(m);
  ThreadPool pool(1);
  PlanOptions plan;
  plan.isa = host_isa();
  Result<PassReport> r = optimize_model(*copy, level, plan, KernelRegistry::global(), pool);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return copy;
}

TEST(OnnxWriter, AttributesOfEveryKindAndInitializersReadBack) {
  TestModel t(13);
  std::mt19937 rng(3);
  ValueId x = t.input("x", DType::kF32, {kUnknownDim, 3}, {"batch", ""});
  ValueId w = t.constant("w", testing::random_f32({3, 4}, rng));
  ValueId h = t.constant("h", Tensor::from_vector<int64_t>({-1, 0, 7}));
  Tensor nib = Tensor::zeros(DType::kI4, Shape{5});  // odd count: the last byte is half used
  const int8_t nibbles[] = {-8, -1, 0, 3, 7};
  std::memcpy(nib.raw_data(), nibbles, 5);
  ValueId q = t.constant("q4", nib);
  Tensor half = Tensor::zeros(DType::kF16, Shape{2});
  static_cast<uint16_t*>(half.raw_data())[1] = float_to_half(1.5f);
  ValueId f16 = t.constant("f16", half);
  ValueId y = t.node("MatMul", "mm", {x, w});
  // An op FastServe does not know carries every attribute kind (loading
  // leaves its outputs untyped, which the writer must cope with too).
  std::vector<Attribute> attrs = {attr_float("f", -2.5f),
                                  attr_int("i", -12345678901LL),
                                  attr_string("s", std::string("bytes\0ok", 8)),
                                  attr_tensor("t", Tensor::from_vector<float>({1.f, 2.f, 3.f}, Shape{3, 1})),
                                  attr_floats("fs", {0.5f, -1.f}),
                                  attr_ints("is", {1, -2, 1LL << 40}),
                                  attr_ints("empty_ints", {})};
  Attribute strs;
  strs.name = "ss";
  strs.kind = Attribute::Kind::kStrings;
  strs.strings = {"a", "", "ccc"};
  attrs.push_back(strs);
  std::vector<ValueId> outs = t.node_n("Custom", "custom", {y, kNoValue, h, q, f16}, 2, attrs, "example.domain");
  t.output(y);
  t.output(outs[0]);
  std::shared_ptr<Model> m = t.build();
  m->opsets["example.domain"] = 3;
  m->metadata["author"] = "test";
  ASSERT_TRUE(infer_graph_shapes(*m).ok());

  Result<std::shared_ptr<Model>> back = round_trip(*m);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same_graph(*m, **back);
  EXPECT_EQ((*back)->metadata.at("author"), "test");
  EXPECT_EQ((*back)->ir_version, 8);
  // The symbolic dim survives by name, the static one by value.
  const Value& in = (*back)->graph.values[static_cast<size_t>((*back)->graph.inputs[0])];
  EXPECT_EQ(in.shape, Shape({kUnknownDim, 3}));
  ASSERT_EQ(in.dim_params.size(), 2u);
  EXPECT_EQ(in.dim_params[0], "batch");
  // The empty ints attribute: kind and (no) values survive.
  EXPECT_EQ((*back)->graph.nodes[1].attr("empty_ints")->kind, Attribute::Kind::kInts);
}

TEST(OnnxWriter, OptimizedCnnReadsBackAndComputesTheSame) {
  Result<std::shared_ptr<Model>> m = load_onnx_model(testing::source_path("models/fashion_mnist_cnn.onnx"));
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  for (int level : {0, 1, 3}) {
    SCOPED_TRACE("level " + std::to_string(level));
    std::shared_ptr<Model> opt = optimized(**m, level);
    Result<std::shared_ptr<Model>> back = round_trip(*opt);
    ASSERT_TRUE(back.ok()) << back.status().to_string();
    expect_same_graph(*opt, **back);
    if (level == 3) {  // FusedConv is in it
      EXPECT_EQ((*back)->opset("fastserve"), 1);
    }
    expect_same_outputs(opt, *back, 41);
    expect_same_outputs(*m, *back, 42);
  }
}

TEST(OnnxWriter, MatMulGraphWrittenToAFileLoadsAndComputesTheSame) {
  TestModel t(17);
  std::mt19937 rng(4);
  ValueId a = t.input("a", DType::kF32, {kUnknownDim, 8}, {"n", ""});
  ValueId y = t.node("MatMul", "mm", {a, t.constant("b", testing::random_f32({8, 5}, rng))});
  y = t.node("Add", "bias", {y, t.constant("c", testing::random_f32({5}, rng))});
  t.output(t.node("Relu", "act", {y}));
  std::shared_ptr<Model> m = t.build();
  ASSERT_TRUE(infer_graph_shapes(*m).ok());
  std::shared_ptr<Model> opt = optimized(*m, 3);  // one fastserve.FusedMatMul
  testing::TempDir dir;
  const std::string path = dir.file("mm.onnx");
  Status st = save_onnx_model(*opt, path);
  ASSERT_TRUE(st.ok()) << st.to_string();
  Result<std::shared_ptr<Model>> back = load_onnx_model(path);
  ASSERT_TRUE(back.ok()) << back.status().to_string();
  expect_same_graph(*opt, **back);
  expect_same_outputs(m, *back, 43);
}

TEST(OnnxWriter, ValueInfoCarriesIntermediateTypes) {
  TestModel t(17);
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId mid = t.node("Relu", "r", {x});
  t.output(t.node("Neg", "n", {mid}));
  std::shared_ptr<Model> m = t.build();
  ASSERT_TRUE(infer_graph_shapes(*m).ok());
  Result<std::string> bytes = serialize_onnx_model(*m);
  ASSERT_TRUE(bytes.ok());
  EXPECT_NE(bytes->find("r_out0"), std::string::npos);
  Result<std::shared_ptr<Model>> back = round_trip(*m);
  ASSERT_TRUE(back.ok());
  const Value& v = (*back)->graph.values[static_cast<size_t>((*back)->graph.find_value("r_out0"))];
  EXPECT_EQ(v.dtype, DType::kF32);
  EXPECT_EQ(v.shape, Shape({2, 3}));
}

TEST(OnnxWriter, SubgraphAttributeDroppedWeightAndBadPathAreErrors) {
  TestModel t(17);
  ValueId x = t.input("x", DType::kF32, {2});
  Attribute g;
  g.name = "then_branch";
  g.kind = Attribute::Kind::kGraph;
  t.output(t.node("If", "branch", {x}, {g}));
  Result<std::string> r = serialize_onnx_model(*t.build());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'branch'"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("then_branch"), std::string::npos) << r.status().message();

  // A weight without data (what a compiled session keeps of a packed one).
  TestModel dropped;
  ValueId w = dropped.constant("w", Tensor::wrap(DType::kF32, Shape{2, 2}, nullptr, nullptr));
  dropped.output(dropped.node("MatMul", "mm", {dropped.input("x", DType::kF32, {2, 2}), w}));
  Result<std::string> d = serialize_onnx_model(*dropped.build());
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("initializer 'w' holds no data"), std::string::npos) << d.status().message();

  TestModel ok;
  ok.output(ok.node("Relu", "r", {ok.input("x", DType::kF32, {2})}));
  Status st = save_onnx_model(*ok.build(), "/nonexistent-dir/out.onnx");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("/nonexistent-dir/out.onnx"), std::string::npos) << st.message();
}

}  // namespace
}  // namespace fastserve
