// FLOP estimates per op (graph/flops.h), checked against counts worked out by hand.
#include "graph/flops.h"

#include <gtest/gtest.h>

#include "tests/test_util.h"

namespace fastserve {
namespace {

ValueId add_value(Graph& g, const std::string& name, Shape shape) {
  Value v;
  v.name = name;
  v.dtype = DType::kF32;
  v.shape_known = true;
  v.shape = std::move(shape);
  return g.add_value(std::move(v));
}

ValueId add_const(Graph& g, const std::string& name, Shape shape) {
  Value v;
  v.name = name;
  v.dtype = DType::kF32;
  v.shape_known = true;
  v.shape = shape;
  v.initializer = Tensor::zeros(DType::kF32, shape);
  return g.add_value(std::move(v));
}

Node make_node(const std::string& op, std::vector<ValueId> in, std::vector<ValueId> out,
               std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = op + "_node";
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  n.attributes = std::move(attrs);
  return n;
}

TEST(Flops, ConvCountsTwoPerMacPlusBiasAndHonoursGroups) {
  Graph g;
  // group 2: W is [M=6, C/group=2, 3, 3]; Y [2,6,7,7] = 588 outputs, 18 MACs each.
  Node n = make_node("Conv", {add_value(g, "x", {2, 4, 9, 9}), add_const(g, "w", {6, 2, 3, 3}), add_const(g, "b", {6})},
                     {add_value(g, "y", {2, 6, 7, 7})}, {testing::attr_int("group", 2)});
  EXPECT_EQ(node_flops(g, n), 2 * 588 * 18 + 588);
  n.inputs.pop_back();  // no bias
  EXPECT_EQ(node_flops(g, n), 2 * 588 * 18);
}

TEST(Flops, FusedConvAddsOnePerOutputForTheResidualAndTheActivation) {
  Graph g;
  // Y [1,4,5,5] = 100 outputs, W [4,3,3,3] = 27 MACs each, with bias.
  Node n = make_node("FusedConv",
                     {add_value(g, "x", {1, 3, 5, 5}), add_const(g, "w", {4, 3, 3, 3}), add_const(g, "b", {4})},
                     {add_value(g, "y", {1, 4, 5, 5})}, {testing::attr_ints("pads", {1, 1, 1, 1})});
  n.domain = "fastserve";
  EXPECT_EQ(node_flops(g, n), 2 * 100 * 27 + 100);
  n.inputs.push_back(add_value(g, "z", {1, 4, 5, 5}));
  n.attributes.push_back(testing::attr_string("activation", "Relu"));
  EXPECT_EQ(node_flops(g, n), 2 * 100 * 27 + 100 + 100 + 100);
  n.domain = "com.other";  // another domain's FusedConv is not ours to count
  EXPECT_EQ(node_flops(g, n), 0);
}

TEST(Flops, FusedMatMulAddsOnePerOutputForTheBiasAndTheActivation) {
  Graph g;
  // A [2,3,8] x B [8,5]: Y [2,3,5] = 30 outputs, 8 MACs each.
  Node n = make_node("FusedMatMul", {add_value(g, "a", {2, 3, 8}), add_const(g, "w", {8, 5})},
                     {add_value(g, "y", {2, 3, 5})});
  n.domain = "fastserve";
  EXPECT_EQ(node_flops(g, n), 2 * 30 * 8);
  n.inputs.push_back(add_const(g, "b", {5}));
  n.attributes.push_back(testing::attr_string("activation", "Gelu"));
  EXPECT_EQ(node_flops(g, n), 2 * 30 * 8 + 30 + 30);
}

TEST(Flops, ConvTransposeCountsPerInputElement) {
  Graph g;
  // X [1,3,4,4] = 48 inputs, each spread over W [3, M/group=2, 3, 3] = 18 outputs.
  Node n = make_node("ConvTranspose", {add_value(g, "x", {1, 3, 4, 4}), add_const(g, "w", {3, 2, 3, 3})},
                     {add_value(g, "y", {1, 2, 9, 9})});
  EXPECT_EQ(node_flops(g, n), 2 * 48 * 18);
}

TEST(Flops, GemmAndMatMul) {
  Graph g;
  // transA: A [K=5, M=3]; Y [3,7]; with C.
  Node gemm = make_node("Gemm", {add_value(g, "a", {5, 3}), add_const(g, "b", {5, 7}), add_const(g, "c", {7})},
                        {add_value(g, "y", {3, 7})}, {testing::attr_int("transA", 1)});
  EXPECT_EQ(node_flops(g, gemm), 2 * 3 * 7 * 5 + 21);
  // Batched: [2,3,4] x [4,6] -> [2,3,6]: 36 outputs of K=4.
  Node mm = make_node("MatMul", {add_value(g, "p", {2, 3, 4}), add_const(g, "q", {4, 6})},
                      {add_value(g, "r", {2, 3, 6})});
  EXPECT_EQ(node_flops(g, mm), 2 * 36 * 4);
}

TEST(Flops, PoolsNormsAndElementwise) {
  Graph g;
  ValueId x = add_value(g, "x", {1, 2, 5, 5});
  ValueId y = add_value(g, "y", {1, 2, 3, 3});
  EXPECT_EQ(node_flops(g, make_node("MaxPool", {x}, {y}, {testing::attr_ints("kernel_shape", {2, 2})})), 18 * 4);
  EXPECT_EQ(node_flops(g, make_node("AveragePool", {x}, {y}, {testing::attr_ints("kernel_shape", {3, 1})})), 18 * 3);
  EXPECT_EQ(node_flops(g, make_node("GlobalAveragePool", {x}, {add_value(g, "gap", {1, 2, 1, 1})})), 50);
  EXPECT_EQ(node_flops(g, make_node("BatchNormalization", {x}, {add_value(g, "bn", {1, 2, 5, 5})})), 100);
  EXPECT_EQ(node_flops(g, make_node("Relu", {x}, {add_value(g, "r", {1, 2, 5, 5})})), 50);
  EXPECT_EQ(node_flops(g, make_node("Add", {x, y}, {add_value(g, "s", {1, 2, 5, 5})})), 50);
  EXPECT_EQ(node_flops(g, make_node("Softmax", {x}, {add_value(g, "sm", {1, 2, 5, 5})})), 150);
  EXPECT_EQ(node_flops(g, make_node("Reshape", {x}, {add_value(g, "flat", {1, 50})})), 0);
}

TEST(Flops, UnknownShapesAreUncountedNotGuessed) {
  Graph g;
  Value unknown;
  unknown.name = "y";
  unknown.dtype = DType::kF32;
  ValueId y = g.add_value(std::move(unknown));
  Node n = make_node("Relu", {add_value(g, "x", {4})}, {y});
  EXPECT_EQ(node_flops(g, n), -1);
  ValueId partial = add_value(g, "p", {kUnknownDim, 4});
  EXPECT_EQ(node_flops(g, make_node("Relu", {partial}, {partial})), -1);
}

TEST(Flops, RunShapesGiveTheSameCountsAsGraphShapes) {
  Graph g;
  // The graph's shapes and the same shapes handed over directly agree; a
  // larger batch scales the count; a missing shape makes it unknown.
  const ValueId x = add_value(g, "x", {2, 4, 9, 9}), w = add_const(g, "w", {6, 2, 3, 3}),
                b = add_const(g, "b", {6});
  const ValueId y = add_value(g, "y", {2, 6, 7, 7});
  const Node conv = make_node("Conv", {x, w, b}, {y}, {testing::attr_int("group", 2)});
  const Shape xs{2, 4, 9, 9}, ws{6, 2, 3, 3}, bs{6}, ys{2, 6, 7, 7};
  std::vector<const Shape*> in = {&xs, &ws, &bs}, out = {&ys};
  EXPECT_EQ(node_flops(conv, in, out), node_flops(g, conv));
  const Shape xs8{8, 4, 9, 9}, ys8{8, 6, 7, 7};
  in[0] = &xs8;
  out[0] = &ys8;
  EXPECT_EQ(node_flops(conv, in, out), 4 * node_flops(g, conv));
  out[0] = nullptr;
  EXPECT_EQ(node_flops(conv, in, out), -1);

  // Gemm reads transA from the node, K from the run's A.
  const Node gemm = make_node("Gemm", {add_value(g, "a", {3, 5}), add_const(g, "bw", {3, 7})},
                              {add_value(g, "c", {5, 7})}, {testing::attr_int("transA", 1)});
  const Shape as{3, 5}, bws{3, 7}, cs{5, 7};
  std::vector<const Shape*> gin = {&as, &bws}, gout = {&cs};
  EXPECT_EQ(node_flops(gemm, gin, gout), 2 * 5 * 7 * 3);
  // Fewer shapes than inputs (a short list) counts as unknown, not a crash.
  EXPECT_EQ(node_flops(gemm, std::vector<const Shape*>{}, gout), -1);
}

TEST(Flops, ModelEstimateTakesSymbolicBatchAsOne) {
  auto model = std::make_shared<Model>();
  model->opsets[""] = 17;
  Graph& g = model->graph;
  Value x;
  x.name = "x";
  x.dtype = DType::kF32;
  x.shape_known = true;
  x.shape = Shape{kUnknownDim, 3};
  x.dim_params = {"batch", ""};
  ValueId xi = g.add_value(std::move(x));
  ValueId h = add_value(g, "h", {kUnknownDim, 4});
  ValueId z = add_value(g, "z", {kUnknownDim, 4});
  Value out;
  out.name = "o";
  ValueId o = g.add_value(std::move(out));
  g.nodes.push_back(make_node("Gemm", {xi, add_const(g, "w", {4, 3}), add_const(g, "b", {4})}, {h},
                              {testing::attr_int("transB", 1)}));
  g.nodes.push_back(make_node("Relu", {h}, {z}));
  g.nodes.push_back(make_node("FooBar", {z}, {o}));
  g.inputs = {xi};
  g.outputs = {o};
  g.reindex();
  ASSERT_TRUE(infer_graph_shapes(*model).ok());

  FlopsEstimate est = estimate_flops(*model);
  // Gemm [1,3]x[3,4]: 2*1*4*3 + 4 bias; Relu 4.
  EXPECT_EQ(est.total, 2 * 4 * 3 + 4 + 4);
  EXPECT_EQ(est.by_op_type["Gemm"], 28);
  EXPECT_EQ(est.by_op_type["Relu"], 4);
  EXPECT_EQ(est.assumed_one, std::vector<std::string>{"x:batch"});
  EXPECT_EQ(est.uncounted_nodes, std::vector<std::string>{"FooBar_node"});
  ASSERT_EQ(est.per_node.size(), 3u);
  EXPECT_EQ(est.per_node[2], -1);
  // The model itself is untouched.
  EXPECT_EQ(model->graph.values[static_cast<size_t>(xi)].shape[0], kUnknownDim);
}

}  // namespace
}  // namespace fastserve
