// End to end through Session: the int64 "shape arithmetic" chain PyTorch
// exports for x.reshape(x.shape[0], -1) with a dynamic batch,
//   Shape(x) -> Gather(·, 0) -> Unsqueeze(·, [0]) -> Concat(·, [-1]) -> Reshape(x, ·),
// which needs Shape's int64 output, Gather of a 0-D index (0-D result),
// Unsqueeze of a 0-D tensor and Concat of int64 vectors, all at run time
// (the new shape is not known when the session compiles).
#include <gtest/gtest.h>

#include <memory>
#include <random>

#include "fastserve/graph.h"
#include "fastserve/session.h"
#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

ValueId add(Graph& g, const std::string& name, Tensor initializer = Tensor()) {
  Value v;
  v.name = name;
  if (initializer.defined()) {
    v.dtype = initializer.dtype();
    v.shape_known = true;
    v.shape = initializer.shape();
    v.initializer = std::move(initializer);
  }
  return g.add_value(std::move(v));
}

void add_node(Graph& g, const std::string& op, std::vector<ValueId> in, ValueId out, std::vector<Attribute> attrs = {}) {
  Node n;
  n.name = op + "_" + std::to_string(g.nodes.size());
  n.op_type = op;
  n.inputs = std::move(in);
  n.outputs = {out};
  n.attributes = std::move(attrs);
  g.nodes.push_back(std::move(n));
}

std::shared_ptr<Model> flatten_batch_model() {
  auto model = std::make_shared<Model>();
  model->opsets[""] = 17;
  Graph& g = model->graph;
  g.name = "shape_arithmetic";
  Value x;
  x.name = "x";
  x.dtype = DType::kF32;
  x.shape_known = true;
  x.shape = Shape{kUnknownDim, 3, 4};
  x.dim_params = {"batch", "", ""};
  const ValueId xid = g.add_value(std::move(x));
  g.inputs.push_back(xid);

  const ValueId shape = add(g, "shape");
  const ValueId zero = add(g, "zero", Tensor::scalar<int64_t>(0));
  const ValueId batch = add(g, "batch");
  const ValueId axes = add(g, "axes", i64s({0}));
  const ValueId batch1 = add(g, "batch1");
  const ValueId minus_one = add(g, "minus_one", i64s({-1}));
  const ValueId new_shape = add(g, "new_shape");
  const ValueId y = add(g, "y");
  add_node(g, "Shape", {xid}, shape);
  add_node(g, "Gather", {shape, zero}, batch, {attr_int("axis", 0)});
  add_node(g, "Unsqueeze", {batch, axes}, batch1);
  add_node(g, "Concat", {batch1, minus_one}, new_shape, {attr_int("axis", 0)});
  add_node(g, "Reshape", {xid, new_shape}, y);
  g.outputs = {y, new_shape};
  g.reindex();
  return model;
}

TEST(ShapeArithmetic, PyTorchFlattenBatchChainRunsInSession) {
  auto session = Session::create(flatten_batch_model());
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  std::mt19937 rng(1234);
  for (int64_t batch : {2, 5, 1}) {
    const Tensor x = random_f32(Shape{batch, 3, 4}, rng);
    const NamedTensor feeds[] = {{"x", x}};
    auto out = (*session)->run(feeds);
    ASSERT_TRUE(out.ok()) << out.status().to_string();
    ASSERT_EQ(out->size(), 2u);
    EXPECT_TRUE(same_bytes((*out)[1].tensor, i64s({batch, -1})));
    EXPECT_TRUE(same_bytes((*out)[0].tensor, x.reshaped(Shape{batch, 12}))) << "batch " << batch;
  }
}

}  // namespace
}  // namespace fastserve::testing
