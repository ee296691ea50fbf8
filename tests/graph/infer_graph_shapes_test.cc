#include <gtest/gtest.h>

#include "fastserve/graph.h"
#include "graph/op_schema.h"
#include "tests/graph/tiny_graph.h"

namespace fastserve {
namespace {

using testing::TinyGraph;

const Value& value_of(const Model& m, const std::string& name) {
  return m.graph.values[static_cast<size_t>(m.graph.find_value(name))];
}

TEST(OpSchema, TableCoversOpsDefAndLooksUpEachOpInItsDomainOnly) {
  std::span<const OpSchema> all = all_op_schemas();
  EXPECT_EQ(all.size(), static_cast<size_t>(OpKind::kCount));
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(static_cast<size_t>(all[i].kind), i);
    EXPECT_NE(all[i].infer, nullptr);
    const std::string_view domain = all[i].domain;
    EXPECT_EQ(find_op_schema(all[i].op_type, domain), &all[i]);
    if (domain.empty()) {
      EXPECT_EQ(find_op_schema(all[i].op_type, "ai.onnx"), &all[i]);
    } else {
      EXPECT_EQ(find_op_schema(all[i].op_type, ""), nullptr);  // ops.def and ops_fastserve.def share no op type
    }
    EXPECT_EQ(find_op_schema(all[i].op_type, "com.microsoft"), nullptr);
  }
  const OpSchema* relu = find_op_schema("Relu", "");
  ASSERT_NE(relu, nullptr);
  EXPECT_EQ(relu->kind, OpKind::kRelu);
  EXPECT_EQ(find_op_schema("NoSuchOp", ""), nullptr);
  EXPECT_EQ(find_op_schema("relu", ""), nullptr);  // op types are case-sensitive
}

TEST(InferGraphShapes, PropagatesThroughAChain) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{kUnknownDim, 4})
                .constant("b", Tensor::from_vector<float>({1, 2, 3, 4}))
                .node("Relu", {"x"}, {"r"}, "relu")
                .node("Add", {"r", "b"}, {"y"}, "add")
                .node("Identity", {"y"}, {"z"}, "id")
                .output("z")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok()) << infer_graph_shapes(m).to_string();
  for (const char* name : {"r", "y", "z"}) {
    const Value& v = value_of(m, name);
    EXPECT_EQ(v.dtype, DType::kF32) << name;
    EXPECT_TRUE(v.shape_known) << name;
    EXPECT_EQ(v.shape, Shape({kUnknownDim, 4})) << name;
  }
}

// A shape written as a Constant node is as known as an initializer: the
// Reshape's output is static, and the Pad's (PyTorch's zero pads before an
// AveragePool) too.
TEST(InferGraphShapes, ReadsTheDataOfConstantNodes) {
  Attribute shape_value;
  shape_value.name = "value";
  shape_value.kind = Attribute::Kind::kTensor;
  shape_value.t = Tensor::from_vector<int64_t>({3, 4});
  Attribute pads_value = shape_value;
  pads_value.t = Tensor::from_vector<int64_t>({0, 1, 0, 2});
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2, 6})
                .node("Constant", {}, {"shape"}, "shape", {shape_value})
                .node("Reshape", {"x", "shape"}, {"y"}, "reshape")
                .node("Constant", {}, {"pads"}, "pads", {pads_value})
                .node("Pad", {"y", "pads"}, {"z"}, "pad")
                .output("z")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok()) << infer_graph_shapes(m).to_string();
  EXPECT_EQ(value_of(m, "y").shape, Shape({3, 4}));
  EXPECT_EQ(value_of(m, "z").shape, Shape({3, 7}));
}

TEST(InferGraphShapes, WorksOnNodesListedOutOfOrder) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2, 3})
                .node("Identity", {"r"}, {"z"}, "id")
                .node("Relu", {"x"}, {"r"}, "relu")
                .output("z")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok());
  EXPECT_EQ(value_of(m, "z").shape, Shape({2, 3}));
}

TEST(InferGraphShapes, DeclaredDimsFillInferredUnknowns) {
  // The model declares the output's batch dim; inference only knows "?".
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{kUnknownDim, 4})
                .node("Relu", {"x"}, {"y"}, "relu")
                .declare("y", DType::kF32, Shape{8, kUnknownDim})
                .output("y")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok()) << infer_graph_shapes(m).to_string();
  EXPECT_EQ(value_of(m, "y").shape, Shape({8, 4}));
}

TEST(InferGraphShapes, ConflictingDeclaredShapeNamesNodeAndValue) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2, 4})
                .node("Relu", {"x"}, {"y"}, "relu")
                .declare("y", DType::kF32, Shape{2, 5})
                .output("y")
                .build();
  m.path = "conflict.onnx";
  Status s = infer_graph_shapes(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("conflict.onnx: ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("node 'relu' (Relu)"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'y'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("[2,5]"), std::string::npos) << s.message();
}

TEST(InferGraphShapes, ConflictingRankOrDTypeIsAnError) {
  Model rank = TinyGraph()
                   .input("x", DType::kF32, Shape{2, 4})
                   .node("Relu", {"x"}, {"y"}, "relu")
                   .declare("y", DType::kF32, Shape{8})
                   .output("y")
                   .build();
  EXPECT_FALSE(infer_graph_shapes(rank).ok());
  Model dtype = TinyGraph()
                    .input("x", DType::kF32, Shape{2, 4})
                    .node("Relu", {"x"}, {"y"}, "relu")
                    .declare("y", DType::kI64, Shape{2, 4})
                    .output("y")
                    .build();
  Status s = infer_graph_shapes(dtype);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("int64"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("float32"), std::string::npos) << s.message();
}

TEST(InferGraphShapes, InferErrorsArePrefixedWithModelName) {
  Model m = TinyGraph()
                .input("a", DType::kF32, Shape{2, 3})
                .input("b", DType::kF32, Shape{4})
                .node("Add", {"a", "b"}, {"y"}, "bad_add")
                .output("y")
                .build();
  Status s = infer_graph_shapes(m);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.message().rfind("<memory>: ", 0), 0u) << s.message();
  EXPECT_NE(s.message().find("bad_add"), std::string::npos) << s.message();
}

TEST(InferGraphShapes, UnknownOpsKeepDeclaredOutputs) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("MysteryOp", {"x"}, {"y"}, "mystery")
                .declare("y", DType::kF16, Shape{7})
                .node("Relu", {"y"}, {"z"}, "relu")
                .node("MysteryOp", {"x"}, {"u"}, "mystery2")
                .node("Relu", {"u"}, {"w"}, "relu2")
                .output("z")
                .output("w")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok()) << infer_graph_shapes(m).to_string();
  EXPECT_EQ(value_of(m, "y").dtype, DType::kF16);
  EXPECT_EQ(value_of(m, "z").shape, Shape({7}));
  EXPECT_EQ(value_of(m, "z").dtype, DType::kF16);
  // Downstream of an undeclared unknown-op output everything stays unknown.
  EXPECT_EQ(value_of(m, "w").dtype, DType::kUndefined);
  EXPECT_FALSE(value_of(m, "w").shape_known);
}

TEST(InferGraphShapes, IsIdempotent) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{3})
                .node("Relu", {"x"}, {"y"}, "relu")
                .output("y")
                .build();
  ASSERT_TRUE(infer_graph_shapes(m).ok());
  ASSERT_TRUE(infer_graph_shapes(m).ok());
  EXPECT_EQ(value_of(m, "y").shape, Shape({3}));
}

TEST(InferGraphShapes, CycleIsReported) {
  Model m = TinyGraph()
                .input("x", DType::kF32, Shape{2})
                .node("Add", {"x", "b"}, {"a"}, "first")
                .node("Relu", {"a"}, {"b"}, "second")
                .output("b")
                .build();
  Status s = infer_graph_shapes(m);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("cycle"), std::string::npos);
}

}  // namespace
}  // namespace fastserve
