// Shape inference for fastserve.Attention (graph/infer_attention.cc): both
// layouts, unknown dims, and the errors for definite mismatches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

TensorInfo f32(Shape s) { return TensorInfo::with_shape(DType::kF32, std::move(s)); }
TensorInfo boolean(Shape s) { return TensorInfo::with_shape(DType::kBool, std::move(s)); }

Result<TensorInfo> infer(const std::string& layout, std::vector<TensorInfo> inputs) {
  std::vector<Attribute> attrs = {testing::attr_string("layout", layout)};
  std::vector<TensorInfo> outs(1);
  outs[0].present = true;
  const NodeView view("att", "Attention", "fastserve", 1, &attrs, inputs, outs);
  const OpSchema* schema = find_op_schema("Attention", "fastserve");
  if (schema == nullptr) return internal_error("no schema");
  FS_RETURN_IF_ERROR(schema->infer(view, outs));
  return outs[0];
}

TEST(InferAttention, BothLayoutsAndUnknownDims) {
  Result<TensorInfo> y = infer("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6})});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape, (Shape{2, 3, 5, 6}));
  y = infer("bshd", {f32({2, 5, 3, 8}), f32({2, 7, 3, 8}), f32({2, 7, 3, 6}), f32({2, 1, 1, 7}),
                     boolean({5, 7})});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape, (Shape{2, 5, 3, 6}));
  y = infer("bshd", {f32({kUnknownDim, kUnknownDim, 12, 64}), f32({kUnknownDim, kUnknownDim, 12, 64}),
                     f32({1, kUnknownDim, 12, 64}), f32({kUnknownDim, 1, 1, kUnknownDim})});
  ASSERT_TRUE(y.ok()) << y.status().to_string();
  EXPECT_EQ(y->shape, (Shape{1, kUnknownDim, 12, 64}));
  EXPECT_EQ(y->dtype, DType::kF32);
}

TEST(InferAttention, MismatchesAreErrors) {
  auto err = [](const std::string& layout, std::vector<TensorInfo> in) {
    Result<TensorInfo> r = infer(layout, std::move(in));
    EXPECT_FALSE(r.ok());
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(err("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 4}), f32({2, 3, 7, 6})}).find("head sizes"),
            std::string::npos);
  EXPECT_NE(err("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 6, 6})}).find("key lengths"),
            std::string::npos);
  EXPECT_NE(err("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6}), f32({2, 1, 4, 7})})
                .find("additive_mask"),
            std::string::npos);
  EXPECT_NE(err("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6}), TensorInfo{}, f32({5, 7})})
                .find("keep_mask must be bool"),
            std::string::npos);
  EXPECT_NE(err("bhsd", {f32({3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6})}).find("rank 4"), std::string::npos);
  EXPECT_NE(err("hsbd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6})}).find("layout"),
            std::string::npos);
  EXPECT_NE(err("bhsd", {f32({2, 3, 5, 8}), f32({2, 3, 7, 8}), f32({2, 3, 7, 6}), f32({2, 1, 1, 1, 7})})
                .find("rank > 4"),
            std::string::npos);
}

}  // namespace
}  // namespace fastserve
