#include <gtest/gtest.h>

#include <random>

#include "fastserve/graph.h"
#include "tests/graph/tiny_graph.h"

namespace fastserve {
namespace {

using testing::TinyGraph;

std::vector<std::string> node_names(const Graph& g, const std::vector<int32_t>& order) {
  std::vector<std::string> names;
  for (int32_t i : order) names.push_back(g.nodes[static_cast<size_t>(i)].name);
  return names;
}

TEST(TopologicalOrder, SortedGraphKeepsItsOrder) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Relu", {"x"}, {"a"}, "n0")
                .node("Relu", {"x"}, {"b"}, "n1")
                .node("Add", {"a", "b"}, {"c"}, "n2")
                .node("Relu", {"x"}, {"d"}, "n3")
                .output("c")
                .output("d")
                .build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_TRUE(order.ok()) << order.status().to_string();
  EXPECT_EQ(*order, (std::vector<int32_t>{0, 1, 2, 3}));
}

TEST(TopologicalOrder, ReordersConsumersAfterProducersStably) {
  // File order: c = a + b; a = relu(x); d = relu(x); b = relu(a).
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Add", {"a", "b"}, {"c"}, "add")
                .node("Relu", {"x"}, {"a"}, "ra")
                .node("Relu", {"x"}, {"d"}, "rd")
                .node("Relu", {"a"}, {"b"}, "rb")
                .output("c")
                .output("d")
                .build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_TRUE(order.ok()) << order.status().to_string();
  // Ready nodes run in file order: ra, then rd (ready, earlier than rb), rb, add.
  EXPECT_EQ(node_names(m.graph, *order), (std::vector<std::string>{"ra", "rd", "rb", "add"}));

  ASSERT_TRUE(m.graph.sort_topologically().ok());
  std::vector<std::string> sorted;
  for (const Node& n : m.graph.nodes) sorted.push_back(n.name);
  EXPECT_EQ(sorted, (std::vector<std::string>{"ra", "rd", "rb", "add"}));
  // Producers were rebuilt for the new indices.
  EXPECT_EQ(m.graph.values[static_cast<size_t>(m.graph.find_value("c"))].producer, 3);
  EXPECT_EQ(m.graph.values[static_cast<size_t>(m.graph.find_value("a"))].producer, 0);
}

TEST(TopologicalOrder, OmittedInputsAndConstantsNeedNoProducer) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .constant("w", Tensor::from_vector<float>({1, 2}))
                .node("Clip", {"x", "", ""}, {"y"}, "clip")
                .node("Add", {"y", "w"}, {"z"}, "add")
                .output("z")
                .build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_TRUE(order.ok()) << order.status().to_string();
  EXPECT_EQ(*order, (std::vector<int32_t>{0, 1}));
}

TEST(TopologicalOrder, UndefinedInputNamesValueAndNode) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Add", {"x", "ghost"}, {"y"}, "adder")
                .output("y")
                .build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("'ghost'"), std::string::npos) << order.status().message();
  EXPECT_NE(order.status().message().find("node 'adder' (Add)"), std::string::npos);
}

TEST(TopologicalOrder, CycleNamesANodeOnTheCycleNotOneDownstream) {
  // x -> n0 -> a; cycle n1 <-> n2 (b, c); n3 consumes c (downstream only).
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Relu", {"c"}, {"d"}, "downstream")
                .node("Relu", {"x"}, {"a"}, "n0")
                .node("Add", {"a", "c"}, {"b"}, "loop1")
                .node("Relu", {"b"}, {"c"}, "loop2")
                .output("d")
                .build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_FALSE(order.ok());
  const std::string& msg = order.status().message();
  EXPECT_NE(msg.find("cycle"), std::string::npos) << msg;
  EXPECT_TRUE(msg.find("loop1") != std::string::npos || msg.find("loop2") != std::string::npos) << msg;
  EXPECT_EQ(msg.find("downstream"), std::string::npos) << msg;
  EXPECT_FALSE(m.graph.sort_topologically().ok());
}

TEST(TopologicalOrder, SelfLoopIsACycle) {
  Model m = TinyGraph().input("x", DType::kF32, Shape{2}).node("Add", {"x", "y"}, {"y"}, "self").output("y").build();
  Result<std::vector<int32_t>> order = m.graph.topological_order();
  ASSERT_FALSE(order.ok());
  EXPECT_NE(order.status().message().find("node 'self' (Add)"), std::string::npos);
}

TEST(TopologicalOrder, RandomDagsInShuffledFileOrder) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 30; ++trial) {
    TinyGraph tg;
    tg.input("v0", DType::kF32, Shape{1});
    const int n = 2 + trial;
    struct Pending { std::string a, b, out; };
    std::vector<Pending> nodes;
    for (int i = 1; i <= n; ++i) {
      // Node i reads two earlier values: the graph is a DAG.
      std::uniform_int_distribution<int> pick(0, i - 1);
      nodes.push_back({"v" + std::to_string(pick(rng)), "v" + std::to_string(pick(rng)), "v" + std::to_string(i)});
    }
    std::shuffle(nodes.begin(), nodes.end(), rng);
    for (const Pending& p : nodes) tg.node("Add", {p.a, p.b}, {p.out}, p.out);
    tg.output("v" + std::to_string(n));
    Model m = tg.build();
    Result<std::vector<int32_t>> order = m.graph.topological_order();
    ASSERT_TRUE(order.ok()) << order.status().to_string();
    ASSERT_EQ(order->size(), static_cast<size_t>(n));
    std::vector<bool> done(m.graph.values.size(), false);
    done[static_cast<size_t>(m.graph.find_value("v0"))] = true;
    for (int32_t idx : *order) {
      const Node& node = m.graph.nodes[static_cast<size_t>(idx)];
      for (ValueId in : node.inputs) ASSERT_TRUE(done[static_cast<size_t>(in)]) << node.name;
      done[static_cast<size_t>(node.outputs[0])] = true;
    }
  }
}

}  // namespace
}  // namespace fastserve
