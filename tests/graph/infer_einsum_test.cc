// Shape inference for Einsum (graph/infer_einsum.cc) and the equation parser
// (graph/einsum_equation.h): explicit and implicit outputs, the ellipsis with
// broadcasting, unknown dims and ranks, and the errors.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/einsum_equation.h"
#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

TensorInfo f32(Shape s) { return TensorInfo::with_shape(DType::kF32, std::move(s)); }

Result<TensorInfo> infer(const std::string& eq, const std::vector<TensorInfo>& inputs) {
  const std::vector<Attribute> attrs = {testing::attr_string("equation", eq)};
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("e0", "Einsum", "", 12, &attrs, inputs, outs);
  FS_RETURN_IF_ERROR(find_op_schema("Einsum", "")->infer(view, outs));
  return outs[0];
}

Shape shape_of(const std::string& eq, const std::vector<TensorInfo>& inputs) {
  Result<TensorInfo> r = infer(eq, inputs);
  EXPECT_TRUE(r.ok()) << eq << ": " << r.status().to_string();
  if (!r.ok()) return Shape({-2});
  EXPECT_TRUE(r->shape_known) << eq;
  return r->shape;
}

TEST(InferEinsum, ExplicitAndImplicitOutputs) {
  EXPECT_EQ(shape_of("bij,bjk->bik", {f32({2, 3, 4}), f32({2, 4, 5})}), (Shape{2, 3, 5}));
  EXPECT_EQ(shape_of("bhqd,bhkd->bhqk", {f32({1, 2, 7, 8}), f32({1, 2, 9, 8})}), (Shape{1, 2, 7, 9}));
  EXPECT_EQ(shape_of("ij -> ji", {f32({3, 4})}), (Shape{4, 3}));
  EXPECT_EQ(shape_of("ii->i", {f32({5, 5})}), (Shape{5}));
  EXPECT_EQ(shape_of("ii", {f32({5, 5})}), Shape{});
  EXPECT_EQ(shape_of("i,j", {f32({2}), f32({3})}), (Shape{2, 3}));
  // Implicit output letters are sorted, uppercase before lowercase: "bA" -> "Ab".
  EXPECT_EQ(shape_of("bA", {f32({2, 3})}), (Shape{3, 2}));
}

TEST(InferEinsum, EllipsisBroadcastsAndUnknowns) {
  EXPECT_EQ(shape_of("...ij,...jk->...ik", {f32({2, 1, 3, 4}), f32({5, 4, 6})}), (Shape{2, 5, 3, 6}));
  EXPECT_EQ(shape_of("...ij,...jk", {f32({7, 3, 4}), f32({4, 6})}), (Shape{7, 3, 6}));
  // Unknown dims: a letter takes the size another input knows; an unknown
  // ellipsis dim against a 1 stays unknown.
  EXPECT_EQ(shape_of("ij,jk->ik", {f32({kUnknownDim, 4}), f32({kUnknownDim, 6})}), (Shape{kUnknownDim, 6}));
  EXPECT_EQ(shape_of("...i,...i->...", {f32({1, 3}), f32({kUnknownDim, 3})}), (Shape{kUnknownDim}));
  Result<TensorInfo> r = infer("ij->i", {TensorInfo{true, DType::kF32, false, Shape(), nullptr}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->shape_known);
}

TEST(InferEinsum, Errors) {
  EXPECT_FALSE(infer("ij,jk->ik", {f32({2, 3}), f32({4, 5})}).ok());  // j: 3 vs 4
  EXPECT_FALSE(infer("ij->ik", {f32({2, 3})}).ok());
  EXPECT_FALSE(infer("ij", {f32({2, 3, 4})}).ok());
  EXPECT_FALSE(infer("i..j", {f32({2, 3})}).ok());
  EXPECT_FALSE(infer("ij,jk", {f32({2, 3})}).ok());
  const std::vector<TensorInfo> mixed = {f32({2}), TensorInfo::with_shape(DType::kI64, Shape{2})};
  EXPECT_FALSE(infer("i,i", mixed).ok());
  const std::vector<Attribute> none;
  std::vector<TensorInfo> outs(1);
  const std::vector<TensorInfo> in = {f32({2})};
  EXPECT_FALSE(find_op_schema("Einsum", "")->infer(NodeView("e", "Einsum", "", 12, &none, in, outs), outs).ok());
}

TEST(EinsumEquation, LabelsOfRepeatedAndEllipsisDims) {
  Result<EinsumPlan> p = parse_einsum("...ii,j", {4, 1});
  ASSERT_TRUE(p.ok()) << p.status().to_string();
  // Ellipsis width 2; the implicit output is the ellipsis dims then j (i repeats).
  EXPECT_EQ(p->inputs[0], (std::vector<int>{kEinsumLetterLabels, kEinsumLetterLabels + 1, 34, 34}));
  EXPECT_EQ(p->output, (std::vector<int>{kEinsumLetterLabels, kEinsumLetterLabels + 1, 35}));
}

}  // namespace
}  // namespace fastserve
