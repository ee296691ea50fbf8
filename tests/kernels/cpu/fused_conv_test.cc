// fastserve.FusedConv on every CPU conv algorithm (im2col, 1x1 direct and
// gathered, Winograd, depthwise 3x3 and general) and ISA the host runs,
// against the reference FusedConv: each activation, without Z, with Z, and
// with Y sharing Z's memory; 1 and 2 threads; shapes that take both the
// column split and the output-channel split of the GEMM paths.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "tests/kernels/cpu/conv_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_floats;
using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;
using testing::OpSpec;

struct Activation {
  const char* name;
  std::vector<float> params;
};

const std::vector<Activation>& activations() {
  static const std::vector<Activation> all = {
      {"", {}},          {"Relu", {}},    {"Clip", {-0.5f, 6.f}}, {"LeakyRelu", {0.1f}},
      {"Sigmoid", {}},   {"Tanh", {}},    {"HardSigmoid", {0.2f, 0.5f}}, {"HardSwish", {}},
  };
  return all;
}

struct AlgoCase {
  const char* algo;  // part of the descriptor name
  Shape x, w;
  std::vector<Attribute> attrs;
};

void check_fused(const AlgoCase& c) {
  std::mt19937 rng(99);
  const std::vector<Tensor> base = {testing::random_f32(c.x, rng, -2, 2), testing::random_f32(c.w, rng),
                                    testing::random_f32(Shape{c.w[0]}, rng)};
  const std::vector<const KernelDesc*> kernels = conv_test::host_kernels("FusedConv", c.algo);
  ASSERT_FALSE(kernels.empty()) << c.algo;
  for (const Activation& a : activations()) {
    OpSpec spec{"FusedConv", 1, c.attrs, 1, "fastserve"};
    if (*a.name != '\0') spec.attrs.push_back(attr_string("activation", a.name));
    if (!a.params.empty()) spec.attrs.push_back(attr_floats("activation_params", a.params));
    const Tensor plain = conv_test::reference_output(spec, base);
    ASSERT_TRUE(plain.defined());
    std::vector<Tensor> with_z = base;
    with_z.push_back(testing::random_f32(plain.shape(), rng, -2, 2));
    const Tensor want_z = conv_test::reference_output(spec, with_z);
    for (const KernelDesc* d : kernels) {
      SCOPED_TRACE(std::string(d->name) + " activation '" + a.name + "'");
      for (int threads : {1, 2}) {
        conv_test::expect_matches_reference(*d, spec, base, threads, plain);
        conv_test::expect_matches_reference(*d, spec, with_z, threads, want_z);
        conv_test::expect_matches_reference(*d, spec, with_z, threads, want_z, /*alias_z=*/true);
      }
    }
  }
}

// The GEMM paths split work only above 64K multiply-adds, so the shapes are
// sized to reach both splits with 2 threads.
TEST(FusedConvCpu, Im2colEveryActivationAndResidual) {
  // 20x18 output: column split, each task gathering its own B block.
  check_fused({"im2col", {1, 8, 21, 20}, {16, 8, 3, 3}, {attr_ints("pads", {1, 0, 2, 1}), attr_ints("strides", {1, 1})}});
  // 6x6 output per group: too few columns -> output-channel split, B shared.
  check_fused({"im2col", {2, 16, 6, 6}, {128, 8, 3, 3}, {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1})}});
  // Small and strided: one thread's worth of work.
  check_fused({"im2col", {1, 5, 9, 11}, {7, 5, 3, 3}, {attr_ints("pads", {1, 0, 2, 1}), attr_ints("strides", {2, 1})}});
}

// A batch of small images is one GEMM with the images side by side
// (conv.cc, kFoldBelowPixels): panels and task blocks that straddle two
// images, Z gathered and Y scattered per image; strided and padded inputs
// split by column phase (im2col.h).
TEST(FusedConvCpu, Im2colFoldedBatchEveryActivationAndResidual) {
  // 7x7 outputs, 5 images: 245 columns, 32-wide panels cross images.
  check_fused({"im2col", {5, 24, 7, 7}, {40, 24, 3, 3}, {attr_ints("pads", {1, 1, 1, 1}), attr_ints("dilations", {1, 2}),
                                                        attr_ints("strides", {1, 1})}});
  // Stride 2 with pads (phase-split copy of every image), groups.
  check_fused({"im2col", {3, 12, 15, 13}, {18, 6, 3, 3}, {attr_int("group", 2), attr_ints("pads", {1, 1, 1, 1}),
                                                         attr_ints("strides", {2, 2})}});
  // Stem-like 7x7 stride 2 pad 3, odd width; large enough output not to fold.
  check_fused({"im2col", {2, 3, 37, 35}, {16, 3, 7, 7}, {attr_ints("pads", {3, 3, 3, 3}), attr_ints("strides", {2, 2})}});
  // Stride 3 along W only, dilation 2.
  check_fused({"im2col", {2, 4, 9, 26}, {8, 4, 3, 3}, {attr_ints("pads", {0, 2, 1, 1}), attr_ints("strides", {1, 3}),
                                                      attr_ints("dilations", {2, 2})}});
}

TEST(FusedConvCpu, OneByOneEveryActivationAndResidual) {
  check_fused({"1x1", {1, 20, 16, 18}, {24, 20, 1, 1}, {}});  // direct, column split
  check_fused({"1x1", {2, 64, 7, 7}, {96, 64, 1, 1}, {}});    // direct, channel split (shared packed B)
  check_fused({"1x1", {1, 32, 30, 30}, {40, 32, 1, 1}, {attr_ints("strides", {2, 2})}});  // gathered
  check_fused({"1x1", {1, 4, 6, 5}, {6, 4, 1, 1}, {attr_ints("pads", {1, 0, 0, 1})}});  // padded: gathered
  check_fused({"1x1", {3, 40, 9, 9}, {24, 40, 1, 1}, {}});    // batch folded, plain input as B
  check_fused({"1x1", {4, 16, 13, 11}, {32, 16, 1, 1}, {attr_ints("strides", {2, 2})}});  // folded, gathered
}

TEST(FusedConvCpu, WinogradEveryActivationAndResidual) {
  check_fused({"winograd", {1, 16, 13, 10}, {20, 16, 3, 3}, {attr_ints("pads", {1, 1, 1, 1})}});
  check_fused({"winograd", {2, 17, 9, 18}, {16, 17, 3, 3}, {attr_ints("pads", {0, 2, 1, 0})}});
}

TEST(FusedConvCpu, DepthwiseEveryActivationAndResidual) {
  check_fused({"depthwise", {1, 6, 11, 19}, {6, 1, 3, 3}, {attr_int("group", 6), attr_ints("pads", {1, 1, 1, 1})}});
  check_fused({"depthwise", {2, 3, 12, 21}, {3, 1, 3, 3},
               {attr_int("group", 3), attr_ints("pads", {0, 1, 1, 0}), attr_ints("strides", {2, 2})}});
  check_fused({"depthwise", {1, 4, 9, 9}, {4, 1, 5, 5}, {attr_int("group", 4), attr_ints("pads", {2, 2, 2, 2})}});
}

TEST(FusedConvCpu, RunsThroughASessionAtEveryIsaLevel) {
  // Model -> compile (kernel choice in the fastserve domain, prepare with
  // constant W) -> run, for a Winograd-sized and a depthwise node, each with
  // Z and an activation that is not fused into a GEMM.
  std::mt19937 rng(3);
  const std::vector<AlgoCase> cases = {
      {"winograd", {1, 16, 12, 12}, {16, 16, 3, 3}, {attr_ints("pads", {1, 1, 1, 1})}},
      {"depthwise", {1, 8, 10, 10}, {8, 1, 3, 3}, {attr_int("group", 8), attr_ints("pads", {1, 1, 1, 1})}},
  };
  for (const AlgoCase& c : cases) {
    OpSpec spec{"FusedConv", 1, c.attrs, 1, "fastserve"};
    spec.attrs.push_back(attr_string("activation", "HardSwish"));
    std::vector<Tensor> inputs = {testing::random_f32(c.x, rng), testing::random_f32(c.w, rng),
                                  testing::random_f32(Shape{c.w[0]}, rng)};
    inputs.push_back(testing::random_f32(conv_test::reference_output(spec, inputs).shape(), rng));
    const Tensor want = conv_test::reference_output(spec, inputs);
    for (const char* isa : {"scalar", "avx2", "avx512"}) {
      SessionOptions options;
      options.num_threads = 2;
      options.max_isa = isa;
      auto got = testing::run_op_in_session(spec, inputs, options, {false, true, true, false});
      ASSERT_TRUE(got.ok()) << c.algo << " " << isa << ": " << got.status().to_string();
      EXPECT_TRUE(conv_test::near_in_range((*got)[0], want)) << c.algo << " at max ISA " << isa;
    }
  }
}

TEST(FusedConvCpu, RegisteredForEveryConvAlgorithm) {
  for (const char* algo : {"im2col", "1x1", "winograd", "depthwise"}) {
    for (const char* isa : {"portable", "avx2", "avx512"}) {
      const std::string conv = std::string("conv_f32_") + (std::string(algo) == "im2col" ? "im2col_gemm"
                                                           : std::string(algo) == "1x1"  ? "1x1_gemm"
                                                                                         : algo) +
                               "__" + isa;
      const KernelDesc* c = conv_test::find_kernel(conv);
      const KernelDesc* f = conv_test::find_kernel("fused_" + conv);
      ASSERT_NE(c, nullptr) << conv;
      ASSERT_NE(f, nullptr) << "fused_" << conv;
      EXPECT_STREQ(f->op_type, "FusedConv");
      EXPECT_STREQ(f->domain, "fastserve");
      EXPECT_EQ(f->since_version, 1);
      EXPECT_EQ(f->priority, c->priority);
      EXPECT_EQ(f->required_isa, c->required_isa);
    }
  }
}

}  // namespace
}  // namespace fastserve
