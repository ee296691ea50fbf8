// Reference Constant (kernels/ref/constant.cc): each value attribute gives
// its tensor bit for bit; sparse and string constants are kUnsupported.
#include <gtest/gtest.h>

#include "tests/kernels/shape_ops_test_util.h"

namespace fastserve::testing {
namespace {

Result<Tensor> constant(std::vector<Attribute> attrs) {
  FS_ASSIGN_OR_RETURN(std::vector<Tensor> out, run_reference({.op_type = "Constant", .opset = 13, .attrs = attrs}, {}));
  return out[0];
}

TEST(ConstantRef, ValueTensorOfAnyDtype) {
  Tensor h = Tensor::empty(DType::kF16, Shape{2});
  h.data<Half>()[0].bits = 0x3c00;
  h.data<Half>()[1].bits = 0xfc00;  // -inf
  for (const Tensor& v : {h, i64s({1, -2, 3}, Shape{3, 1}), Tensor::from_vector<bool>({true, false}),
                          Tensor::scalar<uint8_t>(200)}) {
    auto r = constant({attr_tensor("value", v)});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    EXPECT_TRUE(same_bytes(*r, v));
  }
}

TEST(ConstantRef, ScalarAndListAttributes) {
  auto f = constant({attr_float("value_float", 2.5f)});
  ASSERT_TRUE(f.ok()) << f.status().to_string();
  EXPECT_TRUE(same_bytes(*f, Tensor::scalar<float>(2.5f)));
  auto fs = constant({attr_floats("value_floats", {1.f, -1.f})});
  ASSERT_TRUE(fs.ok());
  EXPECT_TRUE(same_bytes(*fs, Tensor::from_vector<float>({1.f, -1.f})));
  auto i = constant({attr_int("value_int", -7)});
  ASSERT_TRUE(i.ok());
  EXPECT_TRUE(same_bytes(*i, Tensor::scalar<int64_t>(-7)));
  auto is = constant({attr_ints("value_ints", {3, 4})});
  ASSERT_TRUE(is.ok());
  EXPECT_TRUE(same_bytes(*is, i64s({3, 4})));
}

TEST(ConstantRef, SparseAndStringsAreUnsupported) {
  Attribute sparse;
  sparse.name = "sparse_value";
  auto r = constant({sparse});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnsupported);
  Attribute strings;
  strings.name = "value_strings";
  strings.kind = Attribute::Kind::kStrings;
  strings.strings = {"a"};
  auto s = constant({strings});
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(s.status().message().find("value_strings"), std::string::npos);
}

}  // namespace
}  // namespace fastserve::testing
