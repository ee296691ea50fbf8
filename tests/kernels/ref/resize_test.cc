// Reference Resize (kernels/ref/resize.cc): small cases worked out by hand
// for each coordinate_transformation_mode, nearest_mode, the opset 18 axes
// and keep_aspect_ratio_policy, tf_crop_and_resize's extrapolation; then
// random NCHW shapes and scales against a direct per-output-pixel formula
// written here (bilinear, nearest and bicubic on the last two dims).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "tests/kernels/elementwise_test_util.h"

namespace fastserve::testing::ew {
namespace {

Tensor i64(std::vector<int64_t> v) { return Tensor::from_vector<int64_t>(v); }

struct ResizeCase {
  std::vector<Attribute> attrs;
  int64_t opset = 19;
};

// Resize by scales (roi omitted) or by sizes (roi and scales omitted).
std::vector<Tensor> resize_scales(const Tensor& x, std::vector<float> scales, const ResizeCase& c) {
  return run_ref({.op_type = "Resize", .opset = c.opset, .attrs = c.attrs}, {x, Tensor(), f32(scales)});
}
std::vector<Tensor> resize_sizes(const Tensor& x, std::vector<int64_t> sizes, const ResizeCase& c) {
  return run_ref({.op_type = "Resize", .opset = c.opset, .attrs = c.attrs}, {x, Tensor(), Tensor(), i64(sizes)});
}

std::vector<Attribute> mode(const std::string& m, const std::string& coord) {
  return {attr_string("mode", m), attr_string("coordinate_transformation_mode", coord)};
}

TEST(RefResize, NearestUpsampleRepeatsPixels) {
  const Tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
  const std::vector<Tensor> y = resize_scales(x, {1, 1, 2, 3}, {});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0],
                           f32({1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4}, {1, 1, 4, 6}),
                           0, 0));
}

TEST(RefResize, NearestOnIntegerTypesCopiesElements) {
  // Same picks as the float case above, on uint8 and int64.
  const Tensor u8 = Tensor::from_vector<uint8_t>({1, 2, 3, 4}, {1, 1, 2, 2});
  const std::vector<Tensor> y = resize_scales(u8, {1, 1, 2, 3}, {});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0],
                           Tensor::from_vector<uint8_t>({1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3,
                                                         4, 4, 4},
                                                        {1, 1, 4, 6}),
                           0, 0));
  const Tensor big = Tensor::from_vector<int64_t>({1LL << 60, 7, -5}, {3});
  std::vector<Attribute> attrs = mode("nearest", "asymmetric");
  const std::vector<Tensor> y64 = resize_sizes(big, {6}, {attrs});
  ASSERT_EQ(y64.size(), 1u);
  EXPECT_TRUE(tensors_near(y64[0], Tensor::from_vector<int64_t>({1LL << 60, 1LL << 60, 7, 7, -5, -5}, {6}), 0, 0));
  // Linear on integers is not provided.
  const std::vector<Attribute> linear = mode("linear", "half_pixel");
  bool any = false;
  for (const KernelDesc* d : runnable_kernels({.op_type = "Resize", .opset = 13, .attrs = linear},
                                              {u8, Tensor(), f32({1, 1, 2, 2})})) {
    any = any || d != nullptr;
  }
  EXPECT_FALSE(any);
}

TEST(RefResize, NearestDownsampleHalfPixel) {
  // H: floor(2*0.6) = 1 at x = 0.33 -> row 0; W: floor(4*0.6) = 2 at x = 0.33, 2.0 -> cols 0, 2.
  const std::vector<Tensor> y = resize_scales(f32({1, 2, 3, 4, 5, 6, 7, 8}, {1, 1, 2, 4}), {1, 1, 0.6f, 0.6f}, {});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({1, 3}, {1, 1, 1, 2}), 0, 0));
}

TEST(RefResize, LinearHalfPixelAndAlignCornersUpsample) {
  const Tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
  const std::vector<Tensor> hp = resize_scales(x, {1, 1, 2, 2}, {mode("linear", "half_pixel")});
  ASSERT_EQ(hp.size(), 1u);
  EXPECT_TRUE(tensors_near(hp[0],
                           f32({1, 1.25f, 1.75f, 2, 1.5f, 1.75f, 2.25f, 2.5f, 2.5f, 2.75f, 3.25f, 3.5f, 3, 3.25f, 3.75f, 4},
                               {1, 1, 4, 4}),
                           1e-6, 1e-6));
  const std::vector<Tensor> ac = resize_scales(x, {1, 1, 2, 2}, {mode("linear", "align_corners")});
  ASSERT_EQ(ac.size(), 1u);
  const float t = 1.0f / 3;
  EXPECT_TRUE(tensors_near(ac[0],
                           f32({1, 1 + t, 1 + 2 * t, 2, 1 + 2 * t, 2, 2 + t, 2 + 2 * t, 2 + t, 2 + 2 * t, 3, 3 + t, 3,
                                3 + t, 3 + 2 * t, 4},
                               {1, 1, 4, 4}),
                           1e-6, 1e-6));
}

TEST(RefResize, AsymmetricPytorchAndSymmetricHalfPixel1D) {
  // asymmetric x = o / 2: 0, 0.5, 1, 1.5 (clamped to the edge).
  const std::vector<Tensor> as = resize_scales(f32({0, 10}), {2}, {mode("linear", "asymmetric")});
  ASSERT_EQ(as.size(), 1u);
  EXPECT_TRUE(tensors_near(as[0], f32({0, 5, 10, 10}), 1e-6, 1e-6));
  // pytorch_half_pixel: a length-1 output samples x = -0.5 (the edge); 4 -> 2 averages pairs.
  const std::vector<Tensor> p1 = resize_sizes(f32({0, 10, 20}), {1}, {mode("linear", "pytorch_half_pixel")});
  ASSERT_EQ(p1.size(), 1u);
  EXPECT_TRUE(tensors_near(p1[0], f32({0}), 1e-6, 1e-6));
  const std::vector<Tensor> p2 = resize_sizes(f32({0, 10, 20, 30}), {2}, {mode("linear", "pytorch_half_pixel")});
  ASSERT_EQ(p2.size(), 1u);
  EXPECT_TRUE(tensors_near(p2[0], f32({5, 25}), 1e-6, 1e-6));
  // half_pixel_symmetric, 2 -> floor(3.4) = 3: offset 1 - 3/3.4 centres the middle sample at x = 0.5.
  const std::vector<Tensor> hs = resize_scales(f32({0, 10}), {1.7f}, {mode("linear", "half_pixel_symmetric")});
  ASSERT_EQ(hs.size(), 1u);
  EXPECT_TRUE(tensors_near(hs[0], f32({0, 5, 10}), 1e-5, 1e-5));
  // half_pixel on the same input puts it at x = 1.5/1.7 - 0.5.
  const std::vector<Tensor> h = resize_scales(f32({0, 10}), {1.7f}, {mode("linear", "half_pixel")});
  ASSERT_EQ(h.size(), 1u);
  EXPECT_NEAR(h[0].data<float>()[1], 10 * (1.5 / 1.7 - 0.5), 1e-5);
}

// The kernel's own checks, for inputs inference would already refuse.
Status kernel_status(const OpSpec& spec, const std::vector<Tensor>& inputs, Shape out) {
  std::vector<Tensor> outs = {Tensor::empty(DType::kF32, std::move(out))};
  return run_ref_without_inference(spec, inputs, outs);
}

TEST(RefResize, HalfPixelSymmetricNeedsOpset19) {
  const Status s = kernel_status({.op_type = "Resize", .opset = 18, .attrs = mode("linear", "half_pixel_symmetric")},
                                 {f32({0, 10}), Tensor(), f32({2})}, {4});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("coordinate_transformation_mode"), std::string::npos) << s.message();
  EXPECT_TRUE(kernel_status({.op_type = "Resize", .opset = 19, .attrs = mode("linear", "half_pixel_symmetric")},
                            {f32({0, 10}), Tensor(), f32({2})}, {4})
                  .ok());
}

TEST(RefResize, NearestModesPickTheirNeighbour) {
  // asymmetric, 3 -> 12: x = o / 4 = 0, .25, .5, .75, 1, ... 2.75.
  const Tensor x = f32({10, 20, 30});
  const std::vector<std::pair<std::string, std::vector<int>>> cases = {
      {"round_prefer_floor", {0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2}},
      {"round_prefer_ceil", {0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2}},
      {"floor", {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2}},
      {"ceil", {0, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2}}};
  for (const auto& [nm, idx] : cases) {
    std::vector<Attribute> attrs = mode("nearest", "asymmetric");
    attrs.push_back(attr_string("nearest_mode", nm));
    const std::vector<Tensor> y = resize_scales(x, {4}, {attrs});
    ASSERT_EQ(y.size(), 1u) << nm;
    std::vector<float> want;
    for (int i : idx) want.push_back(static_cast<float>(10 * (i + 1)));
    EXPECT_TRUE(tensors_near(y[0], f32(want), 0, 0)) << nm;
  }
}

TEST(RefResize, TfCropAndResizeWithExtrapolation) {
  const Tensor x = f32({0, 10, 20, 30, 40});
  std::vector<Attribute> attrs = mode("linear", "tf_crop_and_resize");
  attrs.push_back(attr_float("extrapolation_value", 7));
  // roi [0.2, 0.8], 3 samples: x = 0.8 + o * 0.6 * 4 / 2 = 0.8, 2.0, 3.2.
  std::vector<Tensor> y =
      run_ref({.op_type = "Resize", .opset = 13, .attrs = attrs}, {x, f32({0.2f, 0.8f}), Tensor(), i64({3})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({8, 20, 32}), 1e-5, 1e-5));
  // roi [-0.5, 0.5]: x = -2, 0, 2; the first is outside and takes extrapolation_value.
  y = run_ref({.op_type = "Resize", .opset = 13, .attrs = attrs}, {x, f32({-0.5f, 0.5f}), Tensor(), i64({3})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({7, 0, 20}), 1e-5, 1e-5));
}

TEST(RefResize, AntialiasWidensTheDownsamplingFilter) {
  // 4 -> 2 (scale 0.5), half_pixel x = 0.5, 2.5; the linear filter spans
  // |tap - x| * 0.5 < 1: taps x0-1 .. x0+2 with weights .125 .375 .375 .125
  // (edge taps clamp): y0 = .5*0 + .375*8 + .125*16 = 5, y1 = .125*8 + .375*16 + .5*24 = 19.
  std::vector<Attribute> attrs = mode("linear", "half_pixel");
  attrs.push_back(attr_int("antialias", 1));
  const std::vector<Tensor> y =
      run_ref({.op_type = "Resize", .opset = 18, .attrs = attrs}, {f32({0, 8, 16, 24}), Tensor(), f32({0.5f})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_TRUE(tensors_near(y[0], f32({5, 19}), 1e-5, 1e-5));
  // Upsampling keeps the plain filter: antialias changes nothing.
  const Tensor x = f32({1, 3, 2, 7});
  std::vector<Attribute> cubic = mode("cubic", "half_pixel");
  const std::vector<Tensor> plain = run_ref({.op_type = "Resize", .opset = 18, .attrs = cubic}, {x, Tensor(), f32({2.5f})});
  cubic.push_back(attr_int("antialias", 1));
  const std::vector<Tensor> aa = run_ref({.op_type = "Resize", .opset = 18, .attrs = cubic}, {x, Tensor(), f32({2.5f})});
  ASSERT_EQ(plain.size(), 1u);
  ASSERT_EQ(aa.size(), 1u);
  EXPECT_TRUE(tensors_near(aa[0], plain[0], 1e-6, 1e-5));
}

TEST(RefResize, Opset18AxesAndKeepAspectRatio) {
  std::mt19937 rng(3);
  const Tensor x = random_f32({1, 2, 4, 4}, rng);
  // sizes [3, 2] on H, W: not_larger takes scale min(3/4, 2/4) = 0.5 -> 2x2; not_smaller 0.75 -> 3x3.
  for (const auto& [policy, side] : std::vector<std::pair<std::string, int64_t>>{{"not_larger", 2}, {"not_smaller", 3}}) {
    const std::vector<Tensor> y = run_ref(
        {.op_type = "Resize",
         .opset = 18,
         .attrs = {attr_ints("axes", {2, 3}), attr_string("keep_aspect_ratio_policy", policy)}},
        {x, Tensor(), Tensor(), i64({3, 2})});
    ASSERT_EQ(y.size(), 1u) << policy;
    EXPECT_EQ(y[0].shape(), (Shape{1, 2, side, side})) << policy;
  }
  // axes [3, 2] with scales [3, 2]: W x3, H x2; equals full-rank scales [1, 1, 2, 3].
  const std::vector<Tensor> a = run_ref({.op_type = "Resize", .opset = 18, .attrs = {attr_ints("axes", {3, 2})}},
                                        {x, Tensor(), f32({3, 2})});
  const std::vector<Tensor> full = resize_scales(x, {1, 1, 2, 3}, {});
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(full.size(), 1u);
  EXPECT_EQ(a[0].shape(), (Shape{1, 2, 8, 12}));
  EXPECT_TRUE(tensors_near(a[0], full[0], 0, 0));
}

TEST(RefResize, Opset11EmptyPlaceholdersAndInvalidInputs) {
  const Tensor x = f32({1, 2, 3, 4}, {1, 1, 2, 2});
  const Tensor empty = Tensor::from_vector<float>(std::vector<float>{}, Shape{0});
  const std::vector<Tensor> y =
      run_ref({.op_type = "Resize", .opset = 11, .attrs = {}}, {x, empty, empty, i64({1, 1, 4, 4})});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{1, 1, 4, 4}));
  // Neither, or the wrong count of, scales.
  EXPECT_FALSE(kernel_status({.op_type = "Resize", .opset = 13}, {x, Tensor(), Tensor(), Tensor()}, {1, 1, 2, 2}).ok());
  EXPECT_FALSE(kernel_status({.op_type = "Resize", .opset = 13}, {x, Tensor(), f32({2, 2})}, {1, 1, 4, 4}).ok());
  // Output not matching the geometry (a stale inferred shape) is caught, not overrun.
  EXPECT_FALSE(kernel_status({.op_type = "Resize", .opset = 13}, {x, Tensor(), f32({1, 1, 2, 2})}, {1, 1, 3, 4}).ok());
  EXPECT_FALSE(kernel_status({.op_type = "Resize", .opset = 13, .attrs = {attr_string("mode", "bicubic")}},
                             {x, Tensor(), f32({1, 1, 2, 2})}, {1, 1, 4, 4})
                   .ok());
}

TEST(RefResize, SizesOfZeroGiveAnEmptyOutput) {
  const std::vector<Tensor> y = resize_sizes(f32({1, 2, 3, 4}, {1, 1, 2, 2}), {1, 1, 0, 3}, {mode("linear", "half_pixel")});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (Shape{1, 1, 0, 3}));
}

TEST(RefResize, SessionWithConstantAndRuntimeScales) {
  // Constant scales: the output shape is inferred at compile time; runtime
  // scales: at run time. Both must give the kernel's result.
  std::mt19937 rng(8);
  const Tensor x = random_f32({1, 2, 3, 5}, rng);
  const OpSpec spec = {.op_type = "Resize", .opset = 13, .attrs = mode("linear", "half_pixel")};
  const std::vector<Tensor> inputs = {x, Tensor(), f32({1, 1, 2, 1.5f})};
  const std::vector<Tensor> direct = run_ref(spec, inputs);
  ASSERT_EQ(direct.size(), 1u);
  for (bool constant : {true, false}) {
    Result<std::vector<Tensor>> r = run_op_in_session(spec, inputs, {}, {false, false, constant});
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->size(), 1u);
    EXPECT_EQ((*r)[0].shape(), (Shape{1, 2, 6, 7}));
    EXPECT_TRUE(tensors_near((*r)[0], direct[0], 0, 0)) << (constant ? "constant" : "runtime") << " scales";
  }
}

// ---- random shapes against a direct per-output-pixel formula ----

// Source coordinate of output index o (one dim), written from the spec text.
double source(const std::string& coord, int64_t o, int64_t in, int64_t out, double scale) {
  const double len = scale * static_cast<double>(in);  // the real-valued output length
  if (coord == "half_pixel") return (o + 0.5) / scale - 0.5;
  if (coord == "pytorch_half_pixel") return len == 1 ? -0.5 : (o + 0.5) / scale - 0.5;
  if (coord == "align_corners") return len == 1 ? 0 : static_cast<double>(o) * (in - 1) / (len - 1);
  if (coord == "asymmetric") return o / scale;
  // half_pixel_symmetric
  return static_cast<double>(in) / 2 * (1 - static_cast<double>(out) / len) + (o + 0.5) / scale - 0.5;
}

// Keys' cubic kernel by distance.
double keys(double d, double a) {
  d = std::fabs(d);
  if (d <= 1) return (a + 2) * d * d * d - (a + 3) * d * d + 1;
  if (d < 2) return a * d * d * d - 5 * a * d * d + 8 * a * d - 4 * a;
  return 0;
}

float direct_pixel(const Tensor& x, int64_t plane, const std::string& m, double sy, double sx) {
  const int64_t h = x.dim(2), w = x.dim(3);
  auto at = [&](int64_t r, int64_t c) {
    r = std::min(std::max<int64_t>(r, 0), h - 1);
    c = std::min(std::max<int64_t>(c, 0), w - 1);
    return static_cast<double>(x.data<float>()[plane * h * w + r * w + c]);
  };
  if (m == "nearest") {  // round_prefer_floor: exact halves go down
    auto pick = [](double s) { return static_cast<int64_t>(std::ceil(s - 0.5)); };
    return static_cast<float>(at(pick(sy), pick(sx)));
  }
  const auto r0 = static_cast<int64_t>(std::floor(sy)), c0 = static_cast<int64_t>(std::floor(sx));
  double v = 0;
  if (m == "linear") {
    const double fy = sy - r0, fx = sx - c0;
    v = (1 - fy) * ((1 - fx) * at(r0, c0) + fx * at(r0, c0 + 1)) + fy * ((1 - fx) * at(r0 + 1, c0) + fx * at(r0 + 1, c0 + 1));
  } else {
    for (int64_t r = r0 - 1; r <= r0 + 2; ++r) {
      for (int64_t c = c0 - 1; c <= c0 + 2; ++c) v += keys(sy - r, -0.75) * keys(sx - c, -0.75) * at(r, c);
    }
  }
  return static_cast<float>(v);
}

TEST(RefResize, RandomShapesMatchDirectPerPixelFormula) {
  std::mt19937 rng(2024);
  std::uniform_int_distribution<int64_t> dim(1, 7);
  std::uniform_real_distribution<float> scale(0.3f, 3.2f);
  const std::vector<std::string> modes = {"nearest", "linear", "cubic"};
  const std::vector<std::string> coords = {"half_pixel", "pytorch_half_pixel", "align_corners", "asymmetric",
                                           "half_pixel_symmetric"};
  int checked = 0;
  for (int trial = 0; trial < 6; ++trial) {
    for (const std::string& m : modes) {
      for (const std::string& coord : coords) {
        const Tensor x = random_f32({dim(rng) % 2 + 1, dim(rng) % 3 + 1, dim(rng), dim(rng)}, rng, -2, 2);
        const bool by_sizes = trial % 2 == 1;
        std::vector<Tensor> y;
        double scale_h = 0, scale_w = 0;
        int64_t oh = 0, ow = 0;
        if (by_sizes) {
          oh = dim(rng);
          ow = dim(rng);
          scale_h = static_cast<double>(oh) / static_cast<double>(x.dim(2));
          scale_w = static_cast<double>(ow) / static_cast<double>(x.dim(3));
          y = resize_sizes(x, {x.dim(0), x.dim(1), oh, ow}, {mode(m, coord)});
        } else {
          const float fh = scale(rng), fw = scale(rng);
          scale_h = fh;
          scale_w = fw;
          oh = static_cast<int64_t>(std::floor(static_cast<double>(fh) * static_cast<double>(x.dim(2))));
          ow = static_cast<int64_t>(std::floor(static_cast<double>(fw) * static_cast<double>(x.dim(3))));
          y = resize_scales(x, {1, 1, fh, fw}, {mode(m, coord)});
        }
        ASSERT_EQ(y.size(), 1u) << m << " " << coord;
        ASSERT_EQ(y[0].shape(), (Shape{x.dim(0), x.dim(1), oh, ow})) << m << " " << coord;
        Tensor want = Tensor::empty(DType::kF32, y[0].shape());
        for (int64_t p = 0; p < x.dim(0) * x.dim(1); ++p) {
          for (int64_t r = 0; r < oh; ++r) {
            for (int64_t c = 0; c < ow; ++c) {
              const bool same_h = oh == x.dim(2) && scale_h == 1, same_w = ow == x.dim(3) && scale_w == 1;
              const double sy = same_h ? static_cast<double>(r) : source(coord, r, x.dim(2), oh, scale_h);
              const double sx = same_w ? static_cast<double>(c) : source(coord, c, x.dim(3), ow, scale_w);
              want.data<float>()[(p * oh + r) * ow + c] = direct_pixel(x, p, m, sy, sx);
            }
          }
        }
        EXPECT_TRUE(tensors_near(y[0], want, 1e-5, 1e-4))
            << m << " " << coord << " x " << x.shape().to_string() << " -> " << oh << "x" << ow;
        ++checked;
      }
    }
  }
  EXPECT_EQ(checked, 6 * 3 * 5);
}

}  // namespace
}  // namespace fastserve::testing::ew
