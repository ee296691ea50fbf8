// Models importing a default-domain opset below 11 (src/onnx/opset_upgrade.h):
// they load, as opset 11, exactly when every default-domain op is unchanged
// between the file's opset and 11; otherwise each changed node is named. Also
// the in-memory path through Session::create, and the version table itself.
#include "onnx/opset_upgrade.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "graph/op_schema.h"
#include "onnx/onnx_reader.h"
#include "tests/onnx/proto_builder.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

namespace tb = testing;
using tb::Dim;
using tb::GraphParts;

Result<std::shared_ptr<Model>> load_bytes(const std::string& bytes) {
  auto buffer = std::make_shared<std::string>(bytes);
  return load_onnx_model_from_memory(buffer->data(), buffer->size(), "old.onnx", "", buffer);
}

// y = op(a[, b]) on [2, 3] tensors of `elem` type, at `opset`.
std::string one_node_model(const std::string& op, int64_t opset, int inputs, int32_t elem = tb::kOnnxFloat,
                           const std::vector<tb::ProtoWriter>& attrs = {}) {
  GraphParts g;
  std::vector<std::string> names = {"a", "b"};
  names.resize(static_cast<size_t>(inputs));
  g.nodes = {tb::node(op, names, {"y"}, "n0", attrs)};
  for (const std::string& n : names)
    g.inputs.push_back(tb::value_info(n, elem, {Dim{int64_t{2}}, Dim{int64_t{3}}}));
  g.outputs = {tb::value_info("y", elem, {Dim{int64_t{2}}, Dim{int64_t{3}}})};
  return tb::model(tb::graph(g), {{"", opset}}, 3);
}

TEST(OpsetUpgrade, VersionTableMatchesOnnxAndKnownOps) {
  // Spot checks against the ONNX changelog.
  EXPECT_EQ(onnx_since_version_at_opset11("And"), 7);
  EXPECT_EQ(onnx_since_version_at_opset11("Not"), 1);
  EXPECT_EQ(onnx_since_version_at_opset11("Shrink"), 9);
  EXPECT_EQ(onnx_since_version_at_opset11("Add"), 7);
  EXPECT_EQ(onnx_since_version_at_opset11("BatchNormalization"), 9);
  EXPECT_EQ(onnx_since_version_at_opset11("Softmax"), 11);
  EXPECT_EQ(onnx_since_version_at_opset11("Conv"), 11);
  EXPECT_EQ(onnx_since_version_at_opset11("Reshape"), 5);
  // Ops newer than opset 11, and ops FastServe does not know.
  EXPECT_EQ(onnx_since_version_at_opset11("LayerNormalization"), 0);
  EXPECT_EQ(onnx_since_version_at_opset11("Celu"), 0);
  EXPECT_EQ(onnx_since_version_at_opset11("Upsample"), 0);
  EXPECT_EQ(onnx_since_version_at_opset11("FooBar"), 0);
  // Every op of ops.def that existed at opset 11 is in the table with a
  // version in 1..11 (a row missing would refuse that op in every old model).
  int listed = 0;
  for (const OpSchema& s : all_op_schemas()) {
    if (std::string_view(s.domain) != "") continue;
    const int v = onnx_since_version_at_opset11(s.op_type);
    EXPECT_GE(v, 0) << s.op_type;
    EXPECT_LE(v, 11) << s.op_type;
    listed += v > 0;
  }
  EXPECT_EQ(listed, 124);
  EXPECT_EQ(onnx_since_version_at_opset11("QuantizeLinear"), 10);
  EXPECT_EQ(onnx_since_version_at_opset11("DynamicQuantizeLinear"), 11);
}

TEST(OpsetUpgrade, UnchangedOpsLoadAsOpset11AndRun) {
  auto r = load_bytes(one_node_model("And", 7, 2, tb::kOnnxBool));
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const Model& m = **r;
  EXPECT_EQ(m.opset(""), 11);
  EXPECT_EQ(m.upgraded_from_opset, 7);

  auto session = Session::create(*r);
  ASSERT_TRUE(session.ok()) << session.status().to_string();
  const Tensor a = Tensor::from_vector<bool>({true, true, false, false, true, false}, Shape{2, 3});
  const Tensor b = Tensor::from_vector<bool>({true, false, true, false, true, true}, Shape{2, 3});
  const std::vector<NamedTensor> feeds = {{"a", a}, {"b", b}};
  auto out = (*session)->run(feeds);
  ASSERT_TRUE(out.ok()) << out.status().to_string();
  EXPECT_TRUE(tb::tensors_near(
      (*out)[0].tensor, Tensor::from_vector<bool>({true, false, false, false, true, false}, Shape{2, 3}), 0,
      0));

  // Opset 1: Not has had one definition since.
  auto not1 = load_bytes(one_node_model("Not", 1, 1, tb::kOnnxBool));
  ASSERT_TRUE(not1.ok()) << not1.status().to_string();
  EXPECT_EQ((*not1)->upgraded_from_opset, 1);
  // At opset 11 and above nothing changes.
  auto native = load_bytes(one_node_model("Not", 11, 1, tb::kOnnxBool));
  ASSERT_TRUE(native.ok());
  EXPECT_EQ((*native)->upgraded_from_opset, 0);
  EXPECT_EQ((*native)->opset(""), 11);
}

::testing::AssertionResult refused(const std::string& bytes, const std::vector<std::string>& fragments) {
  auto r = load_bytes(bytes);
  if (r.ok()) return ::testing::AssertionFailure() << "loaded";
  if (r.status().code() != StatusCode::kUnsupported) {
    return ::testing::AssertionFailure()
           << status_code_name(r.status().code()) << ": " << r.status().message();
  }
  for (const std::string& f : fragments) {
    if (r.status().message().find(f) == std::string::npos) {
      return ::testing::AssertionFailure() << "'" << r.status().message() << "' lacks '" << f << "'";
    }
  }
  return ::testing::AssertionSuccess();
}

TEST(OpsetUpgrade, ChangedOpsAreRefusedByName) {
  // Add-6 still had the `broadcast` attribute; Add-7 is numpy broadcasting.
  EXPECT_TRUE(refused(one_node_model("Add", 6, 2),
                      {"old.onnx: opset 6 is supported only for ops ONNX left unchanged up to opset 11",
                       "node 'n0' (Add): redefined by Add-7"}));
  // Softmax-11 redefined the axis handling of Softmax-1.
  EXPECT_TRUE(refused(one_node_model("Softmax", 10, 1), {"opset 10", "(Softmax): redefined by Softmax-11"}));
  // Relu-1 had consumed_inputs; BatchNormalization-7 had `spatial`.
  EXPECT_TRUE(refused(one_node_model("Relu", 5, 1), {"(Relu): redefined by Relu-6"}));
  // An op FastServe does not implement at opset 11 at all (Upsample was
  // replaced by Resize in opset 10 and 11).
  EXPECT_TRUE(
      refused(one_node_model("Upsample", 9, 1), {"(Upsample): not an op FastServe implements at opset 11"}));
  // Out of range entirely.
  auto zero = load_bytes(one_node_model("Not", 0, 1, tb::kOnnxBool));
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("opset 0 is not supported (supported: 1 to 28)"), std::string::npos)
      << zero.status().message();
}

TEST(OpsetUpgrade, EveryRefusedNodeIsNamedAndOtherDomainsAreLeftAlone) {
  GraphParts g;
  g.nodes = {tb::node("Relu", {"x"}, {"a"}, "ok_relu"), tb::node("Softmax", {"a"}, {"b"}, "sm"),
             tb::node("MyOp", {"b"}, {"c"}, "custom", {}, "com.example"), tb::node("Clip", {"c"}, {"y"})};
  g.inputs = {tb::value_info("x", tb::kOnnxFloat, {Dim{int64_t{4}}})};
  g.outputs = {tb::value_info("y", tb::kOnnxFloat, {Dim{int64_t{4}}})};
  EXPECT_TRUE(refused(tb::model(tb::graph(g), {{"", 9}, {"com.example", 1}}, 4),
                      {"2 nodes use a changed op", "node 'sm' (Softmax): redefined by Softmax-11",
                       "node #3 (Clip): redefined by Clip-11"}));
}

// A Model built in memory skips the loader: Session::create applies the
// same rule to it.
TEST(OpsetUpgrade, SessionAppliesTheRuleToInMemoryModels) {
  const Tensor x = Tensor::from_vector<float>({-2, -0.25f, 0, 0.25f, 2, 7}, Shape{2, 3});
  auto shrink =
      tb::run_op_in_session({.op_type = "Shrink", .opset = 9, .attrs = {tb::attr_float("lambd", 1.f)}}, {x});
  ASSERT_TRUE(shrink.ok()) << shrink.status().to_string();
  EXPECT_TRUE(
      tb::tensors_near((*shrink)[0], Tensor::from_vector<float>({-2, 0, 0, 0, 2, 7}, Shape{2, 3}), 0, 0));
  auto softmax = tb::run_op_in_session({.op_type = "Softmax", .opset = 10}, {x});
  ASSERT_FALSE(softmax.ok());
  EXPECT_EQ(softmax.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(softmax.status().message().find("redefined by Softmax-11"), std::string::npos)
      << softmax.status().message();
}

}  // namespace
}  // namespace fastserve
