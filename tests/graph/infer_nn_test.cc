// Shape inference for Conv, ConvTranspose, pools, BatchNormalization, Gemm
// and MatMul (graph/infer_nn.cc): output shapes against values worked out by
// hand from the ONNX formulas, unknown-dim propagation, and the errors for
// definite mismatches.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "graph/window_geometry.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::attr_int;
using testing::attr_ints;
using testing::attr_string;

TensorInfo f32(Shape s) { return TensorInfo::with_shape(DType::kF32, std::move(s)); }
TensorInfo unknown_rank() { return TensorInfo{true, DType::kF32, false, Shape(), nullptr}; }

struct Infer {
  std::string op;
  std::vector<Attribute> attrs;
  std::vector<TensorInfo> inputs;
  size_t num_outputs = 1;

  Result<std::vector<TensorInfo>> run() const {
    std::vector<TensorInfo> outs(num_outputs);
    for (TensorInfo& o : outs) o.present = true;
    const NodeView view("n0", op, "", 17, &attrs, inputs, outs);
    const OpSchema* schema = find_op_schema(op, "");
    if (schema == nullptr) return internal_error("no schema for " + op);
    FS_RETURN_IF_ERROR(schema->infer(view, outs));
    return outs;
  }
  Shape shape() const {
    auto r = run();
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    if (!r.ok()) return Shape();
    EXPECT_TRUE((*r)[0].shape_known);
    return (*r)[0].shape;
  }
  std::string error() const {
    auto r = run();
    EXPECT_FALSE(r.ok()) << op << " was expected to fail";
    return r.ok() ? std::string() : r.status().message();
  }
};

TEST(InferConv, ExplicitPadsStridesDilations) {
  // H: (10 + 1 + 2 - (2*(3-1)+1)) / 2 + 1 = 8/2 + 1 = 5; W: (7 + 0 + 0 - 3) / 1 + 1 = 5.
  Infer c{"Conv",
          {attr_ints("pads", {1, 0, 2, 0}), attr_ints("strides", {2, 1}), attr_ints("dilations", {2, 1})},
          {f32({2, 4, 10, 7}), f32({6, 4, 3, 3})}};
  EXPECT_EQ(c.shape(), (Shape{2, 6, 5, 5}));
}

TEST(InferConv, AutoPadSameUpperLowerAndValid) {
  std::vector<TensorInfo> in = {f32({1, 3, 11, 8}), f32({5, 3, 3, 2})};
  // SAME: ceil(11/2) = 6, ceil(8/2) = 4.
  EXPECT_EQ((Infer{"Conv", {attr_string("auto_pad", "SAME_UPPER"), attr_ints("strides", {2, 2})}, in}.shape()),
            (Shape{1, 5, 6, 4}));
  EXPECT_EQ((Infer{"Conv", {attr_string("auto_pad", "SAME_LOWER"), attr_ints("strides", {2, 2})}, in}.shape()),
            (Shape{1, 5, 6, 4}));
  // VALID: floor((11-3)/2)+1 = 5, floor((8-2)/2)+1 = 4.
  EXPECT_EQ((Infer{"Conv", {attr_string("auto_pad", "VALID"), attr_ints("strides", {2, 2})}, in}.shape()),
            (Shape{1, 5, 5, 4}));
}

TEST(InferConv, SamePadsSplitOddElementByMode) {
  // in 5, k 4, s 1: out 5, total pad 3: UPPER (1, 2), LOWER (2, 1).
  const std::vector<Attribute> upper = {attr_string("auto_pad", "SAME_UPPER")};
  const std::vector<Attribute> lower = {attr_string("auto_pad", "SAME_LOWER")};
  const std::vector<TensorInfo> ins = {f32({1, 1, 5}), f32({1, 1, 4})};
  const NodeView vu("n", "Conv", "", 17, &upper, ins, {});
  const NodeView vl("n", "Conv", "", 17, &lower, ins, {});
  const int64_t k[] = {4};
  const int64_t in[] = {5};
  auto au = parse_window_attrs(vu, 1, k);
  auto al = parse_window_attrs(vl, 1, k);
  ASSERT_TRUE(au.ok() && al.ok());
  auto gu = window_geometry(vu, *au, in);
  auto gl = window_geometry(vl, *al, in);
  ASSERT_TRUE(gu.ok() && gl.ok());
  EXPECT_EQ(gu->out[0], 5);
  EXPECT_EQ(gu->pad_begin[0], 1);
  EXPECT_EQ(gu->pad_end[0], 2);
  EXPECT_EQ(gl->pad_begin[0], 2);
  EXPECT_EQ(gl->pad_end[0], 1);
}

TEST(InferConv, OneDAndThreeD) {
  EXPECT_EQ((Infer{"Conv", {}, {f32({2, 3, 9}), f32({4, 3, 3})}}.shape()), (Shape{2, 4, 7}));
  EXPECT_EQ((Infer{"Conv", {attr_ints("pads", {1, 1, 1, 1, 1, 1})}, {f32({1, 2, 4, 5, 6}), f32({3, 2, 3, 3, 3})}}.shape()),
            (Shape{1, 3, 4, 5, 6}));
}

TEST(InferConv, GroupsAndChannelMismatch) {
  EXPECT_EQ((Infer{"Conv", {attr_int("group", 4)}, {f32({1, 8, 5, 5}), f32({12, 2, 3, 3})}}.shape()),
            (Shape{1, 12, 3, 3}));
  const std::string err = Infer{"Conv", {attr_int("group", 2)}, {f32({1, 8, 5, 5}), f32({12, 2, 3, 3})}}.error();
  EXPECT_NE(err.find("8 channels"), std::string::npos) << err;
  EXPECT_NE(err.find("expects 4"), std::string::npos) << err;
  EXPECT_NE(err.find("n0"), std::string::npos) << "error names the node: " << err;
  // Output channels must divide by group.
  Infer bad_m{"Conv", {attr_int("group", 2)}, {f32({1, 4, 5, 5}), f32({3, 2, 3, 3})}};
  EXPECT_NE(bad_m.error().find("multiple of group"), std::string::npos);
}

TEST(InferConv, BiasLengthChecked) {
  Infer c{"Conv", {}, {f32({1, 3, 5, 5}), f32({4, 3, 3, 3}), f32({5})}};
  EXPECT_NE(c.error().find("B has 5 values, expected 4"), std::string::npos);
}

TEST(InferConv, WindowLargerThanInputIsAnError) {
  Infer c{"Conv", {}, {f32({1, 1, 2, 2}), f32({1, 1, 3, 3})}};
  EXPECT_NE(c.error().find("does not fit"), std::string::npos);
}

TEST(InferConv, KernelShapeMustMatchWeights) {
  Infer c{"Conv", {attr_ints("kernel_shape", {3, 2})}, {f32({1, 1, 5, 5}), f32({1, 1, 3, 3})}};
  EXPECT_NE(c.error().find("kernel_shape"), std::string::npos);
}

TEST(InferConv, UnknownDimsPropagate) {
  // Unknown batch and height stay unknown; the known width is computed.
  Infer c{"Conv", {attr_ints("strides", {2, 2})}, {f32({kUnknownDim, 3, kUnknownDim, 9}), f32({8, 3, 3, 3})}};
  EXPECT_EQ(c.shape(), (Shape{kUnknownDim, 8, kUnknownDim, 4}));
  // Unknown X rank: the rank still comes from W.
  EXPECT_EQ((Infer{"Conv", {}, {unknown_rank(), f32({8, 3, 3, 3})}}.shape()),
            (Shape{kUnknownDim, 8, kUnknownDim, kUnknownDim}));
  // Nothing known about the rank: unknown output, no error.
  auto r = Infer{"Conv", {}, {unknown_rank(), unknown_rank()}}.run();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)[0].shape_known);
}

TEST(InferConv, BadAttributesAreErrors) {
  EXPECT_NE((Infer{"Conv", {attr_ints("strides", {1})}, {f32({1, 1, 5, 5}), f32({1, 1, 3, 3})}}.error().find("strides")),
            std::string::npos);
  EXPECT_NE((Infer{"Conv", {attr_string("auto_pad", "SAME")}, {f32({1, 1, 5, 5}), f32({1, 1, 3, 3})}}.error().find(
                "auto_pad")),
            std::string::npos);
}

TEST(InferConvTranspose, OutputSizeFromPadsAndOutputPadding) {
  // out = s*(in-1) + output_padding + (k-1)*d + 1 - pads: H 2*(4-1)+1+3-1-1 = 8, W 3*(5-1)+0+2*(2-1)+1-0-0 = 15.
  Infer c{"ConvTranspose",
          {attr_ints("strides", {2, 3}), attr_ints("output_padding", {1, 0}), attr_ints("pads", {1, 0, 1, 0}),
           attr_ints("dilations", {1, 2}), attr_int("group", 2)},
          {f32({1, 4, 4, 5}), f32({4, 3, 3, 2})}};
  EXPECT_EQ(c.shape(), (Shape{1, 6, 8, 15}));
}

TEST(InferConvTranspose, OutputShapeAndSame) {
  std::vector<TensorInfo> in = {f32({1, 2, 3, 3}), f32({2, 1, 3, 3})};
  EXPECT_EQ((Infer{"ConvTranspose", {attr_ints("strides", {2, 2}), attr_ints("output_shape", {6, 7})}, in}.shape()),
            (Shape{1, 1, 6, 7}));
  EXPECT_EQ((Infer{"ConvTranspose", {attr_ints("strides", {2, 2}), attr_ints("output_shape", {1, 1, 5, 5})}, in}.shape()),
            (Shape{1, 1, 5, 5}));
  EXPECT_EQ((Infer{"ConvTranspose", {attr_ints("strides", {2, 2}), attr_string("auto_pad", "SAME_UPPER")}, in}.shape()),
            (Shape{1, 1, 6, 6}));
}

TEST(InferConvTranspose, ChannelMismatch) {
  Infer c{"ConvTranspose", {}, {f32({1, 3, 4, 4}), f32({2, 1, 3, 3})}};
  EXPECT_NE(c.error().find("3 channels"), std::string::npos);
}

TEST(InferPool, FloorAndCeilMode) {
  // (6 - 3)/2 + 1 = 2 (floor) ; ceil((6-3)/2)+1 = 3 and (3-1)*2 = 4 < 6, kept.
  std::vector<TensorInfo> in = {f32({1, 2, 6, 6})};
  EXPECT_EQ((Infer{"MaxPool", {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2})}, in}.shape()),
            (Shape{1, 2, 2, 2}));
  EXPECT_EQ((Infer{"MaxPool", {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}), attr_int("ceil_mode", 1)},
                   in}
                 .shape()),
            (Shape{1, 2, 3, 3}));
  // ceil_mode's last window must start inside input + begin pad: in 3, k 1,
  // s 2, pad_end 1: ceil((3+1-1)/2)+1 = 3, but (3-1)*2 = 4 >= 3 + 0, so 2.
  EXPECT_EQ((Infer{"AveragePool",
                   {attr_ints("kernel_shape", {1}), attr_ints("strides", {2}), attr_ints("pads", {0, 1}),
                    attr_int("ceil_mode", 1)},
                   {f32({1, 1, 3})}}
                 .shape()),
            (Shape{1, 1, 2}));
}

TEST(InferPool, DilationsAutoPadAndIndices) {
  // k_eff = (3-1)*2+1 = 5: (9 - 5)/1 + 1 = 5.
  EXPECT_EQ((Infer{"MaxPool", {attr_ints("kernel_shape", {3}), attr_ints("dilations", {2})}, {f32({1, 1, 9})}}.shape()),
            (Shape{1, 1, 5}));
  EXPECT_EQ((Infer{"AveragePool", {attr_ints("kernel_shape", {3, 3}), attr_ints("strides", {2, 2}),
                                   attr_string("auto_pad", "SAME_LOWER")},
                   {f32({1, 1, 7, 8})}}
                 .shape()),
            (Shape{1, 1, 4, 4}));
  Infer with_indices{"MaxPool", {attr_ints("kernel_shape", {2, 2})}, {f32({2, 3, 4, 4})}, 2};
  auto r = with_indices.run();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)[1].dtype, DType::kI64);
  EXPECT_EQ((*r)[1].shape, (Shape{2, 3, 3, 3}));
}

TEST(InferPool, MissingKernelShapeAndRankMismatch) {
  EXPECT_NE((Infer{"MaxPool", {}, {f32({1, 1, 4, 4})}}.error().find("kernel_shape")), std::string::npos);
  EXPECT_NE((Infer{"MaxPool", {attr_ints("kernel_shape", {2})}, {f32({1, 1, 4, 4})}}.error().find("rank")),
            std::string::npos);
}

TEST(InferGlobalPool, KeepsRankWithOnes) {
  EXPECT_EQ((Infer{"GlobalAveragePool", {}, {f32({2, 5, 7, 3})}}.shape()), (Shape{2, 5, 1, 1}));
  EXPECT_EQ((Infer{"GlobalMaxPool", {}, {f32({2, 5, 7})}}.shape()), (Shape{2, 5, 1}));
  EXPECT_EQ((Infer{"GlobalMaxPool", {}, {f32({kUnknownDim, 5, 7, 7, 2})}}.shape()), (Shape{kUnknownDim, 5, 1, 1, 1}));
}

TEST(InferBatchNorm, SameShapeAndChannelChecks) {
  EXPECT_EQ((Infer{"BatchNormalization", {}, {f32({2, 3, 4, 4}), f32({3}), f32({3}), f32({3}), f32({3})}}.shape()),
            (Shape{2, 3, 4, 4}));
  Infer bad{"BatchNormalization", {}, {f32({2, 3, 4, 4}), f32({3}), f32({4}), f32({3}), f32({3})}};
  EXPECT_NE(bad.error().find("B has 4 values, expected 3"), std::string::npos);
}

TEST(InferGemm, TransposesAndKMismatch) {
  EXPECT_EQ((Infer{"Gemm", {}, {f32({3, 5}), f32({5, 7})}}.shape()), (Shape{3, 7}));
  EXPECT_EQ((Infer{"Gemm", {attr_int("transA", 1), attr_int("transB", 1)}, {f32({5, 3}), f32({7, 5})}}.shape()),
            (Shape{3, 7}));
  const std::string err = Infer{"Gemm", {attr_int("transB", 1)}, {f32({3, 5}), f32({5, 7})}}.error();
  EXPECT_NE(err.find("K=5"), std::string::npos) << err;
  EXPECT_NE(err.find("K=7"), std::string::npos) << err;
}

TEST(InferGemm, CBroadcastsOneWay) {
  for (const Shape& c : {Shape{}, Shape{7}, Shape{1, 7}, Shape{3, 1}, Shape{3, 7}, Shape{1}}) {
    EXPECT_EQ((Infer{"Gemm", {}, {f32({3, 5}), f32({5, 7}), f32(c)}}.shape()), (Shape{3, 7})) << c.to_string();
  }
  EXPECT_NE((Infer{"Gemm", {}, {f32({3, 5}), f32({5, 7}), f32({3})}}.error().find("does not broadcast")),
            std::string::npos);
  EXPECT_NE((Infer{"Gemm", {}, {f32({3, 5}), f32({5, 7}), f32({2, 7})}}.error().find("does not broadcast")),
            std::string::npos);
}

TEST(InferMatMul, NumpySemantics) {
  EXPECT_EQ((Infer{"MatMul", {}, {f32({3, 4}), f32({4, 5})}}.shape()), (Shape{3, 5}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({4}), f32({4, 5})}}.shape()), (Shape{5}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({3, 4}), f32({4})}}.shape()), (Shape{3}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({4}), f32({4})}}.shape()), (Shape{}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({2, 1, 3, 4}), f32({5, 4, 6})}}.shape()), (Shape{2, 5, 3, 6}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({4}), f32({2, 4, 6})}}.shape()), (Shape{2, 6}));
  EXPECT_EQ((Infer{"MatMul", {}, {f32({kUnknownDim, 3, 4}), f32({4, 6})}}.shape()), (Shape{kUnknownDim, 3, 6}));
}

TEST(InferMatMul, Mismatches) {
  const std::string err = Infer{"MatMul", {}, {f32({3, 4}), f32({5, 6})}}.error();
  EXPECT_NE(err.find("K=4"), std::string::npos) << err;
  EXPECT_NE(err.find("K=5"), std::string::npos) << err;
  EXPECT_FALSE((Infer{"MatMul", {}, {f32({2, 3, 4}), f32({3, 4, 6})}}.run().ok()));
  EXPECT_FALSE((Infer{"MatMul", {}, {f32({}), f32({3})}}.run().ok()));
}

}  // namespace
}  // namespace fastserve
