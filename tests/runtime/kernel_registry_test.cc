// KernelRegistry: key matching (op, domain, opset, device, dtype), ISA and
// accepts() filtering, priority order; and invariants of the global registry.
#include "runtime/kernel_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "graph/op_schema.h"

namespace fastserve {
namespace {

Status noop_run(const KernelContext&) { return ok_status(); }
bool reject_all(const NodeView&) { return false; }
bool accept_rank2(const NodeView& node) { return node.input(0).shape.rank() == 2; }

KernelDesc desc(const char* name, int priority, Isa isa = Isa::kScalar, AcceptsFn accepts = nullptr) {
  KernelDesc d;
  d.name = name;
  d.op_type = "Relu";
  d.priority = priority;
  d.required_isa = isa;
  d.accepts = accepts;
  d.run = noop_run;
  return d;
}

// A NodeView over one input of the given dtype/shape (or none), held with the
// storage it points into.
struct TestNode {
  std::vector<Attribute> attrs;
  std::vector<TensorInfo> ins, outs{TensorInfo{true}};
  NodeView view;
  TestNode(std::string_view op, int64_t opset, DType dtype, Shape shape = {2, 3}, std::string_view domain = "",
           bool has_input = true)
      : ins(has_input ? std::vector<TensorInfo>{TensorInfo::with_shape(dtype, std::move(shape))}
                      : std::vector<TensorInfo>{}),
        view("n", op, domain, opset, &attrs, ins, outs) {}
};

const char* select_name(const KernelRegistry& r, const NodeView& node, Isa isa, Device device = Device::kCpu) {
  Result<const KernelDesc*> d = r.select(node, device, isa);
  return d.ok() ? d.value()->name : "<none>";
}

TEST(KernelRegistry, HighestPriorityWins) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  r.add(desc("relu_f32__best", 20));
  r.add(desc("relu_f32__good", 10));
  TestNode n("Relu", 14, DType::kF32);
  EXPECT_STREQ(select_name(r, n.view, Isa::kScalar), "relu_f32__best");
  std::vector<const KernelDesc*> c = r.candidates("Relu", "", 14, Device::kCpu, DType::kF32);
  ASSERT_EQ(c.size(), 3u);
  EXPECT_STREQ(c[0]->name, "relu_f32__best");
  EXPECT_STREQ(c[1]->name, "relu_f32__good");
  EXPECT_STREQ(c[2]->name, "relu_f32__ref");
}

TEST(KernelRegistry, EqualPriorityKeepsRegistrationOrder) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  r.add(desc("relu_f32__first", 5));
  r.add(desc("relu_f32__second", 5));
  TestNode n("Relu", 14, DType::kF32);
  EXPECT_STREQ(select_name(r, n.view, Isa::kAvx512Vnni), "relu_f32__first");
}

TEST(KernelRegistry, IsaCapDropsVariantsItCannotRun) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  r.add(desc("relu_f32__avx2", 10, Isa::kAvx2));
  r.add(desc("relu_f32__avx512", 20, Isa::kAvx512));
  r.add(desc("relu_f32__vnni", 30, Isa::kAvx512Vnni));
  TestNode n("Relu", 14, DType::kF32);
  EXPECT_STREQ(select_name(r, n.view, Isa::kAvx512Vnni), "relu_f32__vnni");
  EXPECT_STREQ(select_name(r, n.view, Isa::kAvx512), "relu_f32__avx512");
  EXPECT_STREQ(select_name(r, n.view, Isa::kAvx2), "relu_f32__avx2");
  EXPECT_STREQ(select_name(r, n.view, Isa::kScalar), "relu_f32__ref");
  // candidates() is the key match only: the ISA is applied by select().
  EXPECT_EQ(r.candidates("Relu", "", 14, Device::kCpu, DType::kF32).size(), 4u);
}

TEST(KernelRegistry, AcceptsFalseFallsBackToReference) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  r.add(desc("relu_f32__rank2_only", 10, Isa::kScalar, accept_rank2));
  r.add(desc("relu_f32__never", 50, Isa::kScalar, reject_all));
  TestNode rank2("Relu", 14, DType::kF32, Shape{4, 5});
  TestNode rank3("Relu", 14, DType::kF32, Shape{4, 5, 6});
  EXPECT_STREQ(select_name(r, rank2.view, Isa::kScalar), "relu_f32__rank2_only");
  EXPECT_STREQ(select_name(r, rank3.view, Isa::kScalar), "relu_f32__ref");
}

TEST(KernelRegistry, DtypeKeyMatchesInputZeroAndUndefinedMatchesAny) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  KernelDesc any = desc("relu_any__ref", 0);
  any.dtype = DType::kUndefined;
  any.op_type = "Identity";
  r.add(any);
  TestNode f16("Relu", 14, DType::kF16);
  Result<const KernelDesc*> none = r.select(f16.view, Device::kCpu, Isa::kAvx512);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(none.status().message(), "node 'n' (Relu): no kernel for opset 14, input dtype float16 on cpu");

  TestNode id_i64("Identity", 14, DType::kI64);
  EXPECT_STREQ(select_name(r, id_i64.view, Isa::kScalar), "relu_any__ref");
  // A node without inputs (Constant-like) matches a typed descriptor too.
  TestNode no_inputs("Relu", 14, DType::kUndefined, {}, "", /*has_input=*/false);
  EXPECT_STREQ(select_name(r, no_inputs.view, Isa::kScalar), "relu_f32__ref");
}

TEST(KernelRegistry, OpsetRangeIsInclusive) {
  KernelRegistry r;
  KernelDesc old_one = desc("relu_f32_v6__ref", 0);
  old_one.since_version = 6;
  old_one.until_version = 12;
  KernelDesc new_one = desc("relu_f32_v13__ref", 0);
  new_one.since_version = 13;
  r.add(old_one);
  r.add(new_one);
  EXPECT_STREQ(select_name(r, TestNode("Relu", 12, DType::kF32).view, Isa::kScalar), "relu_f32_v6__ref");
  EXPECT_STREQ(select_name(r, TestNode("Relu", 13, DType::kF32).view, Isa::kScalar), "relu_f32_v13__ref");
  EXPECT_STREQ(select_name(r, TestNode("Relu", 6, DType::kF32).view, Isa::kScalar), "relu_f32_v6__ref");
  Result<const KernelDesc*> too_old = r.select(TestNode("Relu", 5, DType::kF32).view, Device::kCpu, Isa::kScalar);
  ASSERT_FALSE(too_old.ok());
  EXPECT_NE(too_old.status().message().find("no kernel for opset 5"), std::string::npos);
}

TEST(KernelRegistry, DefaultDomainSpellingsAreEquivalent) {
  KernelRegistry r;
  KernelDesc spelled = desc("relu_f32__ref", 0);
  spelled.domain = "ai.onnx";
  r.add(spelled);
  EXPECT_STREQ(select_name(r, TestNode("Relu", 14, DType::kF32, {2}, "").view, Isa::kScalar), "relu_f32__ref");
  EXPECT_STREQ(select_name(r, TestNode("Relu", 14, DType::kF32, {2}, "ai.onnx").view, Isa::kScalar),
               "relu_f32__ref");
  EXPECT_STREQ(select_name(r, TestNode("Relu", 14, DType::kF32, {2}, "com.acme").view, Isa::kScalar), "<none>");
  EXPECT_TRUE(r.knows_op("Relu", ""));
  EXPECT_TRUE(r.knows_op("Relu", "ai.onnx"));
  EXPECT_FALSE(r.knows_op("Relu", "com.acme"));
  EXPECT_FALSE(r.knows_op("Sigmoid", ""));
}

TEST(KernelRegistry, DeviceIsPartOfTheKey) {
  KernelRegistry r;
  KernelDesc gpu = desc("relu_f32__cuda", 100);
  gpu.device = Device::kCuda;
  r.add(gpu);
  r.add(desc("relu_f32__ref", 0));
  TestNode n("Relu", 14, DType::kF32);
  EXPECT_STREQ(select_name(r, n.view, Isa::kScalar, Device::kCpu), "relu_f32__ref");
  EXPECT_STREQ(select_name(r, n.view, Isa::kScalar, Device::kCuda), "relu_f32__cuda");
}

TEST(KernelRegistry, ErrorExplainsDroppedCandidates) {
  KernelRegistry r;
  r.add(desc("relu_f32__avx512", 20, Isa::kAvx512));
  r.add(desc("relu_f32__picky", 10, Isa::kScalar, reject_all));
  Result<const KernelDesc*> d = r.select(TestNode("Relu", 14, DType::kF32).view, Device::kCpu, Isa::kAvx2);
  ASSERT_FALSE(d.ok());
  const std::string& m = d.status().message();
  EXPECT_EQ(m.rfind("node 'n' (Relu): no kernel for opset 14, input dtype float32 on cpu", 0), 0u) << m;
  EXPECT_NE(m.find("relu_f32__avx512 needs avx512"), std::string::npos) << m;
  EXPECT_NE(m.find("relu_f32__picky does not accept the node"), std::string::npos) << m;
}

TEST(KernelRegistry, ProvidersAreTriedInOrderAndUnlistedOnesNeverUsed) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  r.add(desc("relu_f32__best", 20));
  KernelDesc lib = desc("relu_f32__lib", 1, Isa::kScalar, accept_rank2);
  lib.provider = "lib";
  r.add(lib);
  KernelDesc lib_avx512 = desc("relu_f32__lib_avx512", 5, Isa::kAvx512);
  lib_avx512.provider = "lib";
  r.add(lib_avx512);
  TestNode rank2("Relu", 14, DType::kF32, Shape{4, 5});
  TestNode rank3("Relu", 14, DType::kF32, Shape{4, 5, 6});
  const ProviderOrder lib_first = {"lib", kProviderFastServe};
  // The preferred provider wins over a higher priority elsewhere; within it,
  // ISA and accepts() apply as usual, then the next provider is tried.
  EXPECT_STREQ(r.select(rank2.view, Device::kCpu, Isa::kAvx512, lib_first).value()->name,
               "relu_f32__lib_avx512");
  EXPECT_STREQ(r.select(rank2.view, Device::kCpu, Isa::kAvx2, lib_first).value()->name, "relu_f32__lib");
  EXPECT_STREQ(r.select(rank3.view, Device::kCpu, Isa::kAvx2, lib_first).value()->name, "relu_f32__best");
  // Default order: our kernels only, whatever other providers offer.
  EXPECT_STREQ(select_name(r, rank2.view, Isa::kAvx512), "relu_f32__best");
  // A provider alone: no fallback to kernels of providers not listed.
  Result<const KernelDesc*> only_lib = r.select(rank3.view, Device::kCpu, Isa::kAvx2, {"lib"});
  ASSERT_FALSE(only_lib.ok());
  EXPECT_NE(only_lib.status().message().find("relu_f32__lib does not accept the node"), std::string::npos)
      << only_lib.status().message();
  EXPECT_NE(only_lib.status().message().find("relu_f32__lib_avx512 needs avx512"), std::string::npos)
      << only_lib.status().message();
  EXPECT_TRUE(r.has_provider("lib"));
  EXPECT_TRUE(r.has_provider(kProviderFastServe));
  EXPECT_FALSE(r.has_provider(kProviderOneDnn));
}

TEST(KernelRegistry, ProviderOrderForEachKernelsValue) {
  EXPECT_EQ(provider_order("auto").value(), ProviderOrder{kProviderFastServe});
  EXPECT_EQ(provider_order("fastserve").value(), ProviderOrder{kProviderFastServe});
  EXPECT_EQ(provider_order("onednn").value(), (ProviderOrder{kProviderOneDnn, kProviderFastServe}));
  EXPECT_EQ(default_provider_order(), ProviderOrder{kProviderFastServe});
  for (const char* bad : {"", "ONEDNN", "mkl", "auto "}) {
    Result<ProviderOrder> r = provider_order(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(),
              "unknown kernels '" + std::string(bad) + "' (expected auto, fastserve or onednn)");
  }
}

TEST(KernelRegistry, DescriptorsDefaultToOurProvider) {
  KernelRegistry r;
  r.add(desc("relu_f32__ref", 0));
  EXPECT_STREQ(r.all()[0].provider, kProviderFastServe);
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    const std::string_view p = d.provider;
    EXPECT_TRUE(p == kProviderFastServe || p == kProviderOneDnn) << d.name << ": " << p;
    // Every oneDNN descriptor says so in its name, and only they do.
    EXPECT_EQ(std::string_view(d.name).ends_with("__onednn"), p == kProviderOneDnn) << d.name;
  }
}

TEST(KernelRegistry, GlobalIsBuiltOnceWithUniqueNames) {
  const KernelRegistry& a = KernelRegistry::global();
  const KernelRegistry& b = KernelRegistry::global();
  EXPECT_EQ(&a, &b);
  std::set<std::string> names;
  for (const KernelDesc& d : a.all()) EXPECT_TRUE(names.insert(d.name).second) << "duplicate kernel " << d.name;
}

TEST(KernelRegistry, GlobalHasReferenceKernelForEveryKnownOp) {
  const KernelRegistry& r = KernelRegistry::global();
  for (const OpSchema& s : all_op_schemas()) {
    bool has_ref = false;
    for (const KernelDesc& d : r.all()) {
      if (d.op_type == std::string_view(s.op_type) && d.priority == 0 && d.device == Device::kCpu &&
          d.required_isa == Isa::kScalar) {
        has_ref = true;
      }
    }
    EXPECT_TRUE(has_ref) << s.op_type << " has no reference kernel";
  }
}

}  // namespace
}  // namespace fastserve
