#include "fastserve/graph.h"

#include <gtest/gtest.h>

#include "tests/graph/tiny_graph.h"

namespace fastserve {
namespace {

using testing::TinyGraph;

TEST(Graph, FindAndAddValues) {
  Graph g;
  Value a;
  a.name = "a";
  const ValueId ia = g.add_value(a);
  Value b;
  b.name = "b";
  const ValueId ib = g.add_value(b);
  const ValueId anon = g.add_value(Value{});  // unnamed values are allowed
  EXPECT_EQ(g.find_value("a"), ia);
  EXPECT_EQ(g.find_value("b"), ib);
  EXPECT_EQ(anon, 2);
  EXPECT_EQ(g.find_value("c"), kNoValue);
  EXPECT_EQ(g.find_value(""), kNoValue);
}

TEST(Graph, FindValueSurvivesDirectEditsAndReindex) {
  Graph g;
  Value a;
  a.name = "a";
  g.add_value(a);
  // A pass renames a value in place: the stale index must not answer wrongly.
  g.values[0].name = "renamed";
  EXPECT_EQ(g.find_value("a"), kNoValue);
  EXPECT_EQ(g.find_value("renamed"), 0);
  Value pushed;
  pushed.name = "pushed";
  g.values.push_back(pushed);
  EXPECT_EQ(g.find_value("pushed"), 1);
  g.reindex();
  EXPECT_EQ(g.find_value("pushed"), 1);
  EXPECT_EQ(g.find_value("renamed"), 0);
}

TEST(GraphDeathTest, AddValueRejectsDuplicateNames) {
  Graph g;
  Value a;
  a.name = "a";
  g.add_value(a);
  EXPECT_DEATH(g.add_value(a), "duplicate value name");
}

TEST(Graph, ReindexSetsProducers) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Relu", {"x"}, {"y"}, "r")
                .node("Identity", {"y"}, {"z"}, "i")
                .output("z")
                .build();
  const Graph& g = m.graph;
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("x"))].producer, -1);
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("y"))].producer, 0);
  EXPECT_EQ(g.values[static_cast<size_t>(g.find_value("z"))].producer, 1);
}

TEST(Graph, UseCountsCountConsumersAndGraphOutputs) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Add", {"x", "x"}, {"y"})
                .node("Relu", {"y"}, {"z"})
                .node("Relu", {"y"}, {"w"})
                .output("z")
                .output("y")
                .build();
  const std::vector<int32_t> counts = m.graph.use_counts();
  EXPECT_EQ(counts[static_cast<size_t>(m.graph.find_value("x"))], 2);
  EXPECT_EQ(counts[static_cast<size_t>(m.graph.find_value("y"))], 3);  // two nodes + graph output
  EXPECT_EQ(counts[static_cast<size_t>(m.graph.find_value("z"))], 1);
  EXPECT_EQ(counts[static_cast<size_t>(m.graph.find_value("w"))], 0);
}

TEST(Graph, NodeAttrLooksUpByName) {
  Node n;
  Attribute a;
  a.name = "axis";
  a.kind = Attribute::Kind::kInt;
  a.i = 3;
  n.attributes.push_back(a);
  ASSERT_NE(n.attr("axis"), nullptr);
  EXPECT_EQ(n.attr("axis")->i, 3);
  EXPECT_EQ(n.attr("alpha"), nullptr);
}

TEST(Model, OpsetTreatsAiOnnxAsDefaultDomain) {
  Model m;
  m.opsets[""] = 13;
  m.opsets["com.microsoft"] = 1;
  EXPECT_EQ(m.opset(), 13);
  EXPECT_EQ(m.opset("ai.onnx"), 13);
  EXPECT_EQ(m.opset("com.microsoft"), 1);
  EXPECT_EQ(m.opset("ai.onnx.ml"), 0);
  Model n;
  n.opsets["ai.onnx"] = 18;
  EXPECT_EQ(n.opset(""), 18);
}

TEST(Model, DisplayNameIsPathOrMemory) {
  Model m;
  EXPECT_EQ(m.display_name(), "<memory>");
  m.path = "models/tiny_cnn.onnx";
  EXPECT_EQ(m.display_name(), "models/tiny_cnn.onnx");
}

}  // namespace
}  // namespace fastserve
