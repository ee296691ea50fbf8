#include <gtest/gtest.h>

#include "fastserve/graph.h"
#include "tests/graph/tiny_graph.h"

namespace fastserve {
namespace {

using testing::TinyGraph;

TinyGraph valid_chain() {
  TinyGraph tg;
  tg.input("x", DType::kF32, Shape{1, 4})
      .constant("w", Tensor::from_vector<float>({1, 2, 3, 4}, Shape{1, 4}))
      .node("Add", {"x", "w"}, {"y"}, "add")
      .node("Relu", {"y"}, {"z"}, "relu")
      .output("z");
  return tg;
}

// The error is kInvalidModel, starts with the model name, and mentions each needle.
void expect_invalid(const Model& m, const std::vector<std::string>& needles) {
  Status s = verify_graph(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kInvalidModel);
  EXPECT_EQ(s.message().rfind(m.display_name() + ": ", 0), 0u) << s.message();
  for (const std::string& n : needles) EXPECT_NE(s.message().find(n), std::string::npos) << s.message();
}

TEST(VerifyGraph, AcceptsValidGraph) {
  Model m = valid_chain().build();
  EXPECT_TRUE(verify_graph(m).ok()) << verify_graph(m).to_string();
}

TEST(VerifyGraph, AcceptsOmittedOptionalsAndOutputsThatAreInputsOrConstants) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .constant("c", Tensor::from_vector<float>({1, 2}))
                .node("Dropout", {"x", "", ""}, {"y", ""}, "drop")
                .output("y")
                .output("x")
                .output("c")
                .build();
  EXPECT_TRUE(verify_graph(m).ok()) << verify_graph(m).to_string();
}

TEST(VerifyGraph, RejectsDuplicateValueNames) {
  Model m = valid_chain().build();
  m.path = "dup.onnx";
  Value v;
  v.name = "y";
  m.graph.values.push_back(v);
  expect_invalid(m, {"dup.onnx", "'y'"});
}

TEST(VerifyGraph, RejectsUnnamedReferencedValue) {
  Model m = valid_chain().build();
  m.graph.values[static_cast<size_t>(m.graph.find_value("y"))].name = "";
  expect_invalid(m, {"no name"});
}

TEST(VerifyGraph, RejectsOutOfRangeIds) {
  Model a = valid_chain().build();
  a.graph.nodes[1].inputs[0] = 99;
  expect_invalid(a, {"node 'relu' (Relu)", "out of range"});
  Model b = valid_chain().build();
  b.graph.nodes[0].outputs[0] = -7;
  expect_invalid(b, {"node 'add' (Add)", "out of range"});
  Model c = valid_chain().build();
  c.graph.outputs.push_back(1000);
  expect_invalid(c, {"graph output", "out of range"});
  Model d = valid_chain().build();
  d.graph.inputs.push_back(kNoValue);
  expect_invalid(d, {"graph input", "out of range"});
}

TEST(VerifyGraph, RejectsUndefinedNodeInput) {
  Model m = valid_chain().node("Add", {"z", "nowhere"}, {"q"}, "late").build();
  expect_invalid(m, {"node 'late' (Add)", "'nowhere'"});
}

TEST(VerifyGraph, RejectsUnproducedGraphOutput) {
  Model m = valid_chain().output("dangling").build();
  expect_invalid(m, {"graph output 'dangling'"});
}

TEST(VerifyGraph, RejectsValueProducedTwice) {
  Model m = valid_chain().node("Relu", {"x"}, {"y"}, "again").build();
  expect_invalid(m, {"'y'", "node 'add' (Add)", "node 'again' (Relu)"});
}

TEST(VerifyGraph, RejectsProducedGraphInputOrInitializer) {
  Model a = valid_chain().node("Relu", {"z"}, {"x"}, "overwrite").build();
  expect_invalid(a, {"graph input 'x'", "overwrite"});
  Model b = valid_chain().node("Relu", {"z"}, {"w"}, "overwrite").build();
  expect_invalid(b, {"initializer 'w'", "overwrite"});
}

TEST(VerifyGraph, RejectsCycle) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Add", {"x", "b"}, {"a"}, "first")
                .node("Relu", {"a"}, {"b"}, "second")
                .output("b")
                .build();
  expect_invalid(m, {"cycle"});
}

TEST(VerifyGraph, UnnamedNodesAreNamedByIndex) {
  Model m = TinyGraph().input("x", DType::kF32, Shape{2}).node("Relu", {"x"}, {"y"}).node("Relu", {"q"}, {"z"}).output("z").build();
  expect_invalid(m, {"node #1 (Relu)", "'q'"});
}

}  // namespace
}  // namespace fastserve
