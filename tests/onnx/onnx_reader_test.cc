// The ONNX reader at model level: graph structure, opsets, attributes, and
// how it refuses what is not a (supported) model. Models are built in the
// test with tests/onnx/proto_builder.h.
#include "onnx/onnx_reader.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "tests/onnx/proto_builder.h"
#include "tests/onnx/temp_dir.h"

namespace fastserve {
namespace {

namespace tb = testing;
using tb::Dim;
using tb::GraphParts;
using tb::ProtoWriter;

Result<std::shared_ptr<Model>> load_bytes(const std::string& bytes, const std::string& name = "test.onnx") {
  auto buffer = std::make_shared<std::string>(bytes);
  return load_onnx_model_from_memory(buffer->data(), buffer->size(), name, "", buffer);
}

::testing::AssertionResult fails_with(const Result<std::shared_ptr<Model>>& r, StatusCode code,
                                      const std::string& fragment) {
  if (r.ok())
    return ::testing::AssertionFailure() << "loaded, expected an error containing '" << fragment << "'";
  if (r.status().code() != code) {
    return ::testing::AssertionFailure() << "code " << status_code_name(r.status().code()) << ", expected "
                                         << status_code_name(code) << ": " << r.status().message();
  }
  if (r.status().message().find(fragment) == std::string::npos) {
    return ::testing::AssertionFailure()
           << "message '" << r.status().message() << "' lacks '" << fragment << "'";
  }
  return ::testing::AssertionSuccess();
}

const Value& value(const Model& m, const std::string& name) {
  const ValueId id = m.graph.find_value(name);
  EXPECT_NE(id, kNoValue) << name;
  return m.graph.values.at(static_cast<size_t>(id));
}

// x[N,3] @ W[3,4] -> y, Relu(y) -> z; W is also listed as a graph input, as
// exporters before IR 4 did.
std::string matmul_relu_model(const tb::Opsets& opsets = {{"", 17}}) {
  GraphParts g;
  g.nodes = {tb::node("MatMul", {"x", "W"}, {"y"}, "mm"), tb::node("Relu", {"y"}, {"z"}, "relu")};
  g.initializers = {tb::tensor_f32("W", {3, 4}, std::vector<float>(12, 0.5f))};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{std::string("N")}, Dim{int64_t{3}}}),
              tb::value_info("W", tb::kOnnxFloat, {Dim{int64_t{3}}, Dim{int64_t{4}}})};
  g.outputs = {tb::value_info("z", tb::kOnnxFloat, {Dim{std::string("N")}, Dim{int64_t{4}}})};
  g.value_info = {tb::value_info("y", tb::kOnnxFloat, {Dim{std::string("N")}, Dim{int64_t{4}}})};
  return tb::model(tb::graph(g), opsets, 8, {{"author", "tests"}, {"license", "MIT"}});
}

TEST(OnnxReader, ReadsModelFieldsAndGraphStructure) {
  auto r = load_bytes(matmul_relu_model({{"", 17}, {"com.microsoft", 1}}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Model& m = **r;
  EXPECT_EQ(m.ir_version, 8);
  EXPECT_EQ(m.producer_name, "fastserve-test");
  EXPECT_EQ(m.producer_version, "1.0");
  EXPECT_EQ(m.opsets.at(""), 17);
  EXPECT_EQ(m.opsets.at("com.microsoft"), 1);
  EXPECT_EQ(m.metadata.at("author"), "tests");
  EXPECT_EQ(m.metadata.at("license"), "MIT");
  EXPECT_EQ(m.graph.name, "test_graph");

  ASSERT_EQ(m.graph.nodes.size(), 2u);
  const Node& mm = m.graph.nodes[0];
  EXPECT_EQ(mm.name, "mm");
  EXPECT_EQ(mm.op_type, "MatMul");
  EXPECT_EQ(mm.domain, "");
  ASSERT_EQ(mm.inputs.size(), 2u);
  EXPECT_EQ(m.graph.values[static_cast<size_t>(mm.inputs[0])].name, "x");
  EXPECT_EQ(m.graph.values[static_cast<size_t>(mm.inputs[1])].name, "W");
  const Node& relu = m.graph.nodes[1];
  EXPECT_EQ(relu.inputs, mm.outputs);  // linked by name
  EXPECT_EQ(value(m, "y").producer, 0);
  EXPECT_EQ(value(m, "z").producer, 1);

  ASSERT_EQ(m.graph.outputs.size(), 1u);
  EXPECT_EQ(m.graph.outputs[0], m.graph.find_value("z"));
}

TEST(OnnxReader, InitializersListedAsInputsAreNotRuntimeInputs) {
  auto r = load_bytes(matmul_relu_model());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Model& m = **r;
  ASSERT_EQ(m.graph.inputs.size(), 1u);
  EXPECT_EQ(m.graph.values[static_cast<size_t>(m.graph.inputs[0])].name, "x");
  const Value& w = value(m, "W");
  ASSERT_TRUE(w.is_constant());
  EXPECT_EQ(w.initializer.shape(), (Shape{3, 4}));
  EXPECT_EQ(w.initializer.data<float>()[11], 0.5f);
}

TEST(OnnxReader, SymbolicDimsKeepTheirNames) {
  auto r = load_bytes(matmul_relu_model());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Value& x = value(**r, "x");
  EXPECT_EQ(x.dtype, DType::kF32);
  EXPECT_TRUE(x.shape_known);
  EXPECT_EQ(x.shape, (Shape{kUnknownDim, 3}));
  EXPECT_EQ(x.dim_params, (std::vector<std::string>{"N", ""}));
  // value_info declares intermediates' shapes.
  const Value& y = value(**r, "y");
  EXPECT_EQ(y.dtype, DType::kF32);
  EXPECT_EQ(y.shape.rank(), 2u);
  EXPECT_EQ(y.shape[1], 4);
  EXPECT_EQ(y.dim_params, (std::vector<std::string>{"N", ""}));
}

TEST(OnnxReader, InputWithoutShapeHasUnknownRank) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"x"}, {"y"})};
  g.inputs = {tb::value_info_no_shape("x", tb::kOnnxFloat)};
  g.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
  auto r = load_bytes(tb::model(tb::graph(g)));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Value& x = value(**r, "x");
  EXPECT_EQ(x.dtype, DType::kF32);
  EXPECT_FALSE(x.shape_known);
  EXPECT_TRUE(x.dim_params.empty());
}

TEST(OnnxReader, OmittedOptionalInputsAndOutputsAreNoValue) {
  GraphParts g;
  g.nodes = {tb::node("Clip", {"x", "", "hi"}, {"y"}), tb::node("Dropout", {"y"}, {"z", ""})};
  g.initializers = {tb::tensor_f32("hi", {}, {6.f})};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("z", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  auto r = load_bytes(tb::model(tb::graph(g)));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Graph& graph = (*r)->graph;
  ASSERT_EQ(graph.nodes[0].inputs.size(), 3u);
  EXPECT_EQ(graph.nodes[0].inputs[1], kNoValue);
  EXPECT_NE(graph.nodes[0].inputs[2], kNoValue);
  ASSERT_EQ(graph.nodes[1].outputs.size(), 2u);
  EXPECT_EQ(graph.nodes[1].outputs[1], kNoValue);
  // The scalar initializer has rank 0 and one element.
  EXPECT_EQ(value(**r, "hi").initializer.rank(), 0u);
  EXPECT_EQ(value(**r, "hi").initializer.data<float>()[0], 6.f);
}

TEST(OnnxReader, NodesOutOfOrderStillResolve) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"y"}, {"z"}), tb::node("Relu", {"x"}, {"y"})};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("z", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  auto r = load_bytes(tb::model(tb::graph(g)));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->graph.nodes[0].inputs[0], (*r)->graph.nodes[1].outputs[0]);
}

TEST(OnnxReader, AiOnnxDomainIsTheDefaultDomain) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"x"}, {"y"}, "r", {}, "ai.onnx")};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("y", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  auto r = load_bytes(tb::model(tb::graph(g), {{"ai.onnx", 13}}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->opsets.at(""), 13);
  EXPECT_EQ((*r)->opsets.count("ai.onnx"), 0u);
  EXPECT_EQ((*r)->graph.nodes[0].domain, "");
}

std::string relu_model(int64_t opset) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"x"}, {"y"})};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("y", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  return tb::model(tb::graph(g), {{"", opset}});
}

// Opsets 1 to 10 load only when every op is unchanged up to opset 11
// (tests/onnx/opset_upgrade_test.cc has the details): Relu-6 is.
TEST(OnnxReader, RejectsOpsetsOutside1To28AndOldOpsetsWithChangedOps) {
  EXPECT_TRUE(fails_with(load_bytes(relu_model(5), "old.onnx"), StatusCode::kUnsupported,
                         "old.onnx: opset 5 is supported only for ops ONNX left unchanged up to opset 11"));
  EXPECT_TRUE(fails_with(load_bytes(relu_model(29), "new.onnx"), StatusCode::kUnsupported,
                         "new.onnx: opset 29 is not supported (supported: 1 to 28)"));
  EXPECT_TRUE(fails_with(load_bytes(relu_model(0)), StatusCode::kUnsupported, "opset 0 is not supported"));
  auto relu9 = load_bytes(relu_model(9));
  ASSERT_TRUE(relu9.ok()) << relu9.status().to_string();
  EXPECT_EQ((*relu9)->opset(""), 11);
  EXPECT_EQ((*relu9)->upgraded_from_opset, 9);
  EXPECT_TRUE(load_bytes(relu_model(11)).ok());
  EXPECT_TRUE(load_bytes(relu_model(28)).ok());
}

TEST(OnnxReader, DefaultOpsetIsRequiredOnlyForDefaultDomainNodes) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"x"}, {"y"}, "r")};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("y", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(g), {{"com.example", 1}})), StatusCode::kInvalidModel,
                         "no opset_import for the default ONNX domain, but node 'r' (Relu) uses it"));

  GraphParts custom;
  custom.nodes = {tb::node("MyOp", {"x"}, {"y"}, "m", {}, "com.example")};
  custom.inputs = g.inputs;
  custom.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
  auto r = load_bytes(tb::model(tb::graph(custom), {{"com.example", 3}}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ((*r)->opsets.count(""), 0u);
  EXPECT_EQ((*r)->opsets.at("com.example"), 3);
  EXPECT_EQ((*r)->graph.nodes[0].domain, "com.example");
}

TEST(OnnxReader, ConflictingOpsetImportsAreAnError) {
  EXPECT_TRUE(fails_with(load_bytes(tb::model(ProtoWriter().bytes(2, "g"), {{"", 13}, {"ai.onnx", 14}})),
                         StatusCode::kInvalidModel, "twice"));
}

TEST(OnnxReader, GarbageIsNotAModel) {
  EXPECT_TRUE(fails_with(load_bytes("hello, this is a text file\n", "notes.txt"), StatusCode::kInvalidModel,
                         "notes.txt: not an ONNX model ("));
  EXPECT_TRUE(fails_with(load_bytes(std::string("\xff\xff\xff\xff", 4)), StatusCode::kInvalidModel,
                         "not an ONNX model"));
  EXPECT_TRUE(fails_with(load_bytes(""), StatusCode::kInvalidModel, "not an ONNX model"));
  // Valid protobuf, but no graph.
  EXPECT_TRUE(fails_with(load_bytes(ProtoWriter().varint(1, 8).bytes(2, "x").str()),
                         StatusCode::kInvalidModel, "not an ONNX model (no graph)"));
  // A graph field of the wrong wire type.
  EXPECT_TRUE(fails_with(load_bytes(ProtoWriter().varint(7, 1).str()), StatusCode::kInvalidModel,
                         "not an ONNX model (malformed protobuf"));
  // A group inside the graph.
  EXPECT_TRUE(fails_with(load_bytes(tb::model(ProtoWriter().tag(9, 3).tag(9, 4))), StatusCode::kInvalidModel,
                         "groups are not supported"));

  std::mt19937 rng(1234);
  for (int i = 0; i < 200; ++i) {
    std::string bytes(1 + rng() % 300, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto r = load_bytes(bytes);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message().rfind("test.onnx: ", 0), 0u) << r.status().message();
  }
}

TEST(OnnxReader, EveryTruncationIsAnError) {
  GraphParts g;
  g.nodes = {tb::node("Add", {"x", "b"}, {"y"}, "add"),
             tb::node("Constant", {}, {"c"}, "const",
                      {tb::proto_attr_tensor("value", tb::tensor_f32("v", {2}, {1, 2}))}),
             tb::node("Mul", {"y", "c"}, {"z"}, "mul")};
  g.initializers = {tb::tensor_f32("b", {2}, {1.f, 2.f})};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{std::string("N")}, Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("z", tb::kOnnxFloat, {Dim{std::string("N")}, Dim{int64_t{2}}})};
  const std::string full = tb::model(tb::graph(g));
  ASSERT_TRUE(load_bytes(full).ok());
  int truncated = 0;
  for (size_t n = 0; n < full.size(); ++n) {
    // An exact-size copy per prefix so ASan catches any read past its end.
    auto buffer =
        std::make_shared<std::vector<uint8_t>>(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    auto r = load_onnx_model_from_memory(buffer->data(), buffer->size(), "cut.onnx", "", buffer);
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes loaded";
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidModel) << r.status().message();
    EXPECT_EQ(r.status().message().rfind("cut.onnx: ", 0), 0u) << r.status().message();
    truncated += r.status().message().rfind("cut.onnx: truncated: ", 0) == 0;
  }
  // Most cuts land inside the graph or the opset import: they say "truncated".
  EXPECT_GT(truncated, static_cast<int>(full.size()) / 2);
}

TEST(OnnxReader, AttributesOfEveryKind) {
  GraphParts g;
  g.nodes = {tb::node(
      "AllKinds", {"x"}, {"y"}, "k",
      {tb::proto_attr_float("f", 2.5f), tb::proto_attr_int("i", -7),
       tb::proto_attr_string("s", std::string("a\0b", 3)),
       tb::proto_attr_tensor(
           "t", tb::tensor_raw("", tb::kOnnxInt64, {2}, tb::to_bytes(std::vector<int64_t>{5, -6}))),
       tb::proto_attr_graph("g", tb::graph(GraphParts{})), tb::proto_attr_floats("fs", {1.f, -2.f}, true),
       tb::proto_attr_floats("fs_unpacked", {3.f, 4.f}, false),
       tb::proto_attr_ints("is", {1, -1, 1ll << 40}, true),
       tb::proto_attr_ints("is_unpacked", {-3, 4}, false), tb::proto_attr_strings("ss", {"ab", "", "c"}),
       tb::proto_attr_ints("empty_ints", {}, true),
       // IR version 1 style: no type field, inferred from the value present.
       ProtoWriter().bytes(1, "legacy_i").int64(3, 42)},
      "com.example")};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{1}}})};
  g.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
  auto r = load_bytes(tb::model(tb::graph(g), {{"", 17}, {"com.example", 1}}));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Node& n = (*r)->graph.nodes[0];
  using K = Attribute::Kind;
  auto get = [&](const char* name) -> const Attribute& {
    const Attribute* a = n.attr(name);
    EXPECT_NE(a, nullptr) << name;
    static const Attribute kNone;
    return a ? *a : kNone;
  };
  EXPECT_EQ(get("f").kind, K::kFloat);
  EXPECT_EQ(get("f").f, 2.5f);
  EXPECT_EQ(get("i").kind, K::kInt);
  EXPECT_EQ(get("i").i, -7);
  EXPECT_EQ(get("s").kind, K::kString);
  EXPECT_EQ(get("s").s, std::string("a\0b", 3));
  EXPECT_EQ(get("t").kind, K::kTensor);
  ASSERT_EQ(get("t").t.dtype(), DType::kI64);
  EXPECT_EQ(get("t").t.data<int64_t>()[1], -6);
  EXPECT_EQ(get("g").kind, K::kGraph);
  EXPECT_EQ(get("fs").kind, K::kFloats);
  EXPECT_EQ(get("fs").floats, (std::vector<float>{1.f, -2.f}));
  EXPECT_EQ(get("fs_unpacked").floats, (std::vector<float>{3.f, 4.f}));
  EXPECT_EQ(get("is").kind, K::kInts);
  EXPECT_EQ(get("is").ints, (std::vector<int64_t>{1, -1, 1ll << 40}));
  EXPECT_EQ(get("is_unpacked").ints, (std::vector<int64_t>{-3, 4}));
  EXPECT_EQ(get("ss").kind, K::kStrings);
  EXPECT_EQ(get("ss").strings, (std::vector<std::string>{"ab", "", "c"}));
  EXPECT_EQ(get("empty_ints").kind, K::kInts);
  EXPECT_TRUE(get("empty_ints").ints.empty());
  EXPECT_EQ(get("legacy_i").kind, K::kInt);
  EXPECT_EQ(get("legacy_i").i, 42);
  EXPECT_EQ(n.attributes.size(), 12u);
}

TEST(OnnxReader, UnsupportedAndBrokenAttributesNameTheNode) {
  auto with_attr = [](const ProtoWriter& a, const ProtoWriter& b = ProtoWriter()) {
    GraphParts g;
    std::vector<ProtoWriter> attrs{a};
    if (b.size() > 0) attrs.push_back(b);
    g.nodes = {tb::node("Custom", {"x"}, {"y"}, "n1", attrs, "com.example")};
    g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{1}}})};
    g.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
    return load_bytes(tb::model(tb::graph(g), {{"com.example", 1}}));
  };
  // TENSORS (type 9)
  EXPECT_TRUE(fails_with(
      with_attr(ProtoWriter().bytes(1, "ts").message(10, tb::tensor_f32("", {1}, {1})).varint(20, 9)),
      StatusCode::kUnsupported, "node 'n1' (Custom): attribute 'ts'"));
  // SPARSE_TENSOR (type 11)
  EXPECT_TRUE(fails_with(with_attr(ProtoWriter().bytes(1, "sp").bytes(22, "").varint(20, 11)),
                         StatusCode::kUnsupported, "sparse"));
  EXPECT_TRUE(fails_with(with_attr(tb::proto_attr_int("a", 1), tb::proto_attr_int("a", 2)),
                         StatusCode::kInvalidModel, "attribute 'a' appears twice"));
  EXPECT_TRUE(fails_with(with_attr(ProtoWriter().bytes(1, "none")), StatusCode::kInvalidModel,
                         "attribute 'none' has no type"));
  EXPECT_TRUE(fails_with(with_attr(tb::proto_attr_int("", 1)), StatusCode::kInvalidModel, "has no name"));
  // A tensor attribute with the wrong amount of data names node and attribute.
  EXPECT_TRUE(
      fails_with(with_attr(tb::proto_attr_tensor("value", tb::tensor_raw("", tb::kOnnxFloat, {2}, "abc"))),
                 StatusCode::kInvalidModel,
                 "node 'n1' (Custom): attribute 'value': raw_data has 3 bytes, expected 8 for float32[2]"));
}

TEST(OnnxReader, ConstantNodesKeepTheirValues) {
  GraphParts g;
  g.nodes = {tb::node("Constant", {}, {"c"}, "c0",
                      {tb::proto_attr_tensor("value", tb::tensor_f32("", {2, 2}, {1, 2, 3, 4}))}),
             tb::node("Constant", {}, {"f"}, "c1", {tb::proto_attr_float("value_float", 0.25f)}),
             tb::node("Constant", {}, {"is"}, "c2", {tb::proto_attr_ints("value_ints", {3, 4})}),
             tb::node("Constant", {}, {"i"}, "c3", {tb::proto_attr_int("value_int", 9)}),
             tb::node("Constant", {}, {"fs"}, "c4", {tb::proto_attr_floats("value_floats", {0.5f})})};
  g.outputs = {tb::value_info_no_shape("c", tb::kOnnxFloat), tb::value_info_no_shape("f", tb::kOnnxFloat),
               tb::value_info_no_shape("is", tb::kOnnxInt64), tb::value_info_no_shape("i", tb::kOnnxInt64),
               tb::value_info_no_shape("fs", tb::kOnnxFloat)};
  auto r = load_bytes(tb::model(tb::graph(g)));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const auto& nodes = (*r)->graph.nodes;
  const Attribute* v = nodes[0].attr("value");
  ASSERT_NE(v, nullptr);
  ASSERT_EQ(v->t.shape(), (Shape{2, 2}));
  EXPECT_EQ(v->t.data<float>()[3], 4.f);
  ASSERT_NE(nodes[1].attr("value_float"), nullptr);
  EXPECT_EQ(nodes[1].attr("value_float")->f, 0.25f);
  ASSERT_NE(nodes[2].attr("value_ints"), nullptr);
  EXPECT_EQ(nodes[2].attr("value_ints")->ints, (std::vector<int64_t>{3, 4}));
  ASSERT_NE(nodes[3].attr("value_int"), nullptr);
  EXPECT_EQ(nodes[3].attr("value_int")->i, 9);
  ASSERT_NE(nodes[4].attr("value_floats"), nullptr);
  EXPECT_EQ(nodes[4].attr("value_floats")->floats, (std::vector<float>{0.5f}));
}

TEST(OnnxReader, BrokenLinksAreErrorsNamingTheValue) {
  GraphParts g;
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{2}}})};
  g.outputs = {tb::value_info("y", tb::kOnnxFloat, {Dim{int64_t{2}}})};

  GraphParts undefined_input = g;
  undefined_input.nodes = {tb::node("Add", {"x", "nope"}, {"y"}, "add")};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(undefined_input))), StatusCode::kInvalidModel,
                         "test.onnx: node 'add' (Add): input 'nope' is not defined"));

  GraphParts twice = g;
  twice.nodes = {tb::node("Relu", {"x"}, {"y"}, "a"), tb::node("Relu", {"x"}, {"y"}, "b")};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(twice))), StatusCode::kInvalidModel,
                         "node 'b' (Relu) output 'y' has the name of another value"));

  GraphParts output_missing = g;
  output_missing.nodes = {tb::node("Relu", {"x"}, {"t"})};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(output_missing))), StatusCode::kInvalidModel,
                         "graph output 'y' is not defined"));

  GraphParts dup_init = g;
  dup_init.nodes = {tb::node("Add", {"x", "w"}, {"y"})};
  dup_init.initializers = {tb::tensor_f32("w", {2}, {1, 2}), tb::tensor_f32("w", {2}, {3, 4})};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(dup_init))), StatusCode::kInvalidModel,
                         "initializer 'w' is defined twice"));

  GraphParts no_outputs = g;
  no_outputs.nodes = {tb::node("Relu", {"x"}, {"y"}, "r"), tb::node("Add", {"x", "x"}, {}, "sink"),
                      tb::node("Abs", {"x"}, {""}, "omitted")};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(no_outputs))), StatusCode::kInvalidModel,
                         "node 'sink' (Add): has no outputs"));
  no_outputs.nodes.erase(no_outputs.nodes.begin() + 1);
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(no_outputs))), StatusCode::kInvalidModel,
                         "node 'omitted' (Abs): has no outputs"));

  GraphParts no_op = g;
  no_op.nodes = {ProtoWriter().bytes(1, "x").bytes(2, "y")};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(no_op))), StatusCode::kInvalidModel,
                         "node #0 (no op_type): op_type is empty"));
}

TEST(OnnxReader, NonTensorAndStringInputsAreUnsupported) {
  GraphParts g;
  g.nodes = {tb::node("Identity", {"x"}, {"y"})};
  g.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
  GraphParts str = g;
  str.inputs = {tb::value_info("x", tb::kOnnxString, {Dim{int64_t{1}}})};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(str))), StatusCode::kUnsupported, "graph input 'x'"));
  GraphParts seq = g;
  // TypeProto.sequence_type (4) holding a tensor type.
  seq.inputs = {ProtoWriter().bytes(1, "x").message(2, ProtoWriter().message(4, ProtoWriter()))};
  EXPECT_TRUE(fails_with(load_bytes(tb::model(tb::graph(seq))), StatusCode::kUnsupported,
                         "graph input 'x' is a sequence"));
}

TEST(OnnxReader, SparseInitializersAreUnsupported) {
  GraphParts g;
  g.outputs = {tb::value_info_no_shape("y", tb::kOnnxFloat)};
  ProtoWriter gw = tb::graph(g);
  // GraphProto.sparse_initializer (15) { values (1) = TensorProto named "sp" }
  gw.message(15, ProtoWriter().message(1, tb::tensor_f32("sp", {1}, {1.f})));
  EXPECT_TRUE(fails_with(load_bytes(tb::model(gw)), StatusCode::kUnsupported, "sparse initializer 'sp'"));
}

TEST(OnnxReader, FileErrorsNameThePath) {
  tb::TempDir dir;
  const std::string missing = dir.file("missing.onnx");
  auto r = load_onnx_model(missing);
  EXPECT_TRUE(fails_with(r, StatusCode::kNotFound, missing));
  EXPECT_TRUE(
      fails_with(load_onnx_model(dir.path()), StatusCode::kInvalidArgument, dir.path() + ": is a directory"));
  const std::string empty = dir.write("empty.onnx", "");
  EXPECT_TRUE(fails_with(load_onnx_model(empty), StatusCode::kInvalidModel, "empty.onnx"));
  const std::string text = dir.write("notes.onnx", "just text");
  EXPECT_TRUE(fails_with(load_onnx_model(text), StatusCode::kInvalidModel, "notes.onnx: not an ONNX model"));
}

TEST(OnnxReader, LoadsFromAFileWithTheSameResultAsFromMemory) {
  tb::TempDir dir;
  const std::string bytes = matmul_relu_model();
  const std::string path = dir.write("mm.onnx", bytes);
  auto from_file = load_onnx_model(path);
  auto from_memory = load_bytes(bytes);
  ASSERT_TRUE(from_file.ok()) << from_file.status().to_string();
  ASSERT_TRUE(from_memory.ok());
  EXPECT_EQ((*from_file)->path, path);
  EXPECT_EQ((*from_file)->graph.values.size(), (*from_memory)->graph.values.size());
  EXPECT_EQ((*from_file)->graph.nodes.size(), (*from_memory)->graph.nodes.size());
  ASSERT_FALSE((*from_file)->mappings.empty());
}

}  // namespace
}  // namespace fastserve
