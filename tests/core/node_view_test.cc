#include "fastserve/node_view.h"

#include <gtest/gtest.h>

namespace fastserve {
namespace {

Attribute make_int(const std::string& n, int64_t v) {
  Attribute a;
  a.name = n;
  a.kind = Attribute::Kind::kInt;
  a.i = v;
  return a;
}

class NodeViewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    attrs_.push_back(make_int("axis", -2));
    Attribute f;
    f.name = "alpha";
    f.kind = Attribute::Kind::kFloat;
    f.f = 0.25f;
    attrs_.push_back(f);
    Attribute s;
    s.name = "mode";
    s.kind = Attribute::Kind::kString;
    s.s = "reflect";
    attrs_.push_back(s);
    Attribute is;
    is.name = "pads";
    is.kind = Attribute::Kind::kInts;
    is.ints = {1, 2, 3, 4};
    attrs_.push_back(is);
    Attribute fs;
    fs.name = "scales";
    fs.kind = Attribute::Kind::kFloats;
    fs.floats = {0.5f, 2.f};
    attrs_.push_back(fs);
    Attribute t;
    t.name = "value";
    t.kind = Attribute::Kind::kTensor;
    t.t = Tensor::from_vector<float>({3.f});
    attrs_.push_back(t);
    attrs_.push_back(make_int("beta", 2));  // int where a float is expected
    inputs_.push_back(TensorInfo::with_shape(DType::kF32, Shape{1, 3}));
    inputs_.push_back(TensorInfo{});  // omitted optional input
    outputs_.push_back(TensorInfo{});
  }
  NodeView view(std::string_view name = "conv1") const {
    return NodeView(name, "Conv", "", 13, &attrs_, inputs_, outputs_);
  }
  std::vector<Attribute> attrs_;
  std::vector<TensorInfo> inputs_, outputs_;
};

TEST_F(NodeViewTest, ReadsEachAttributeKind) {
  NodeView v = view();
  EXPECT_EQ(v.attr_int("axis", 0), -2);
  EXPECT_FLOAT_EQ(v.attr_float("alpha", 1.f), 0.25f);
  EXPECT_EQ(v.attr_string("mode", "constant"), "reflect");
  EXPECT_EQ(v.attr_ints("pads"), (std::vector<int64_t>{1, 2, 3, 4}));
  EXPECT_EQ(v.attr_floats("scales"), (std::vector<float>{0.5f, 2.f}));
  ASSERT_NE(v.attr_tensor("value"), nullptr);
  EXPECT_EQ(v.attr_tensor("value")->data<float>()[0], 3.f);
  EXPECT_TRUE(v.has_attr("axis"));
  EXPECT_FALSE(v.has_attr("nope"));
  EXPECT_EQ(v.opset(), 13);
}

TEST_F(NodeViewTest, AbsentOrWrongKindGivesDefault) {
  NodeView v = view();
  EXPECT_EQ(v.attr_int("missing", 7), 7);
  EXPECT_EQ(v.attr_int("alpha", 7), 7);  // float, asked as int
  EXPECT_EQ(v.attr_string("axis", "d"), "d");
  EXPECT_EQ(v.attr_ints("axis", {9}), std::vector<int64_t>{9});
  EXPECT_EQ(v.attr_floats("pads", {1.f}), std::vector<float>{1.f});
  EXPECT_EQ(v.attr_tensor("axis"), nullptr);
  EXPECT_FLOAT_EQ(v.attr_float("beta", 0.f), 2.f);  // int accepted as float
  NodeView no_attrs("n", "Relu", "", 13, nullptr, {}, {});
  EXPECT_EQ(no_attrs.attr_int("axis", 5), 5);
  EXPECT_EQ(no_attrs.attr(""), nullptr);
}

TEST_F(NodeViewTest, InputsPresenceAndValues) {
  NodeView v = view();
  EXPECT_EQ(v.num_inputs(), 2u);
  EXPECT_TRUE(v.has_input(0));
  EXPECT_FALSE(v.has_input(1));
  EXPECT_FALSE(v.has_input(5));
  EXPECT_EQ(v.input_dtype(0), DType::kF32);
  EXPECT_EQ(v.input_dtype(1), DType::kUndefined);
  EXPECT_EQ(v.input_value(0), nullptr);
}

TEST_F(NodeViewTest, DescribeAndErrorNameTheNode) {
  EXPECT_EQ(view().describe(), "node 'conv1' (Conv)");
  Status s = view().error(StatusCode::kInvalidArgument, "bad kernel");
  EXPECT_EQ(s.message(), "node 'conv1' (Conv): bad kernel");
  EXPECT_NE(view("").describe().find("(Conv)"), std::string::npos);
}

TEST(Attribute, KindNames) {
  EXPECT_STREQ(attribute_kind_name(Attribute::Kind::kInt), "int");
  EXPECT_STREQ(attribute_kind_name(Attribute::Kind::kFloats), "floats");
  EXPECT_STREQ(attribute_kind_name(Attribute::Kind::kTensor), "tensor");
  EXPECT_STREQ(attribute_kind_name(Attribute::Kind::kUndefined), "undefined");
}

}  // namespace
}  // namespace fastserve
