// fold_constants on the shape-building ops PyTorch exporters emit: a chain
// Shape -> ConstantOfShape / Range / Expand / Tile on a static input folds
// to initializers, and shape inference then knows the dims downstream.
#include <gtest/gtest.h>

#include "passes/pass_manager.h"
#include "tests/passes/pass_test_util.h"
#include "tests/runtime/test_model.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_tensor;
using testing::count_op;
using testing::TestModel;

// x[2,3]:
//   s    = Shape(x)                          -> [2, 3]
//   ones = ConstantOfShape(s, value=1.5)     -> 1.5 of shape [2, 3]
//   n    = Gather(s, 1)                      -> 3
//   r    = Range(0, n, 1)                    -> [0, 1, 2]
//   e    = Expand(Cast(r, f32), s)           -> [2, 3]
//   t    = Tile(y, Concat(Gather(s, 0), 1))  -> y[1,3] tiled to [2, 3]
//   out  = x * ones + e + t
std::shared_ptr<Model> shape_chain() {
  TestModel t;
  ValueId x = t.input("x", DType::kF32, {2, 3});
  ValueId y = t.input("y", DType::kF32, {1, 3});
  ValueId s = t.node("Shape", "s", {x});
  ValueId ones = t.node("ConstantOfShape", "ones", {s}, {attr_tensor("value", Tensor::from_vector<float>({1.5f}))});
  ValueId n = t.node("Gather", "n", {s, t.constant("one", Tensor::scalar<int64_t>(1))});
  ValueId r = t.node("Range", "r", {t.constant("zero", Tensor::scalar<int64_t>(0)), n,
                                    t.constant("step", Tensor::scalar<int64_t>(1))});
  ValueId rf = t.node("Cast", "rf", {r}, {attr_int("to", 1)});
  ValueId e = t.node("Expand", "e", {rf, s});
  ValueId b = t.node("Gather", "b", {s, t.constant("zero_idx", Tensor::from_vector<int64_t>({0}))});
  ValueId reps = t.node("Concat", "reps", {b, t.constant("one_rep", Tensor::from_vector<int64_t>({1}))},
                        {attr_int("axis", 0)});
  ValueId tiled = t.node("Tile", "tile", {y, reps});
  ValueId sum = t.node("Add", "sum1", {t.node("Mul", "mul", {x, ones}), e});
  t.output(t.node("Add", "sum2", {sum, tiled}));
  return t.build();
}

TEST(FoldShapeBuilding, ChainOnAStaticShapeFoldsAndDimsBecomeKnown) {
  std::shared_ptr<Model> m = shape_chain();
  Model opt = *m;
  testing::run_pass(opt, &fold_constants);
  EXPECT_EQ(count_op(opt.graph, "ConstantOfShape"), 0);
  EXPECT_EQ(count_op(opt.graph, "Range"), 0);
  EXPECT_EQ(count_op(opt.graph, "Expand"), 0);
  EXPECT_EQ(count_op(opt.graph, "Tile"), 1);  // its data is a graph input
  const Value& e = opt.graph.values[static_cast<size_t>(opt.graph.find_value("e_out0"))];
  ASSERT_TRUE(e.is_constant());
  EXPECT_EQ(e.initializer.shape(), (Shape{2, 3}));
  for (int64_t i = 0; i < 6; ++i) EXPECT_EQ(e.initializer.data<float>()[i], static_cast<float>(i % 3)) << i;
  // The repeats are now an initializer: inference gives Tile's output dims.
  ASSERT_TRUE(infer_graph_shapes(opt).ok());
  const Value& tiled = opt.graph.values[static_cast<size_t>(opt.graph.find_value("tile_out0"))];
  ASSERT_TRUE(tiled.shape_known);
  EXPECT_EQ(tiled.shape, (Shape{2, 3}));
  testing::expect_same_outputs(m, 31);
}

}  // namespace
}  // namespace fastserve
