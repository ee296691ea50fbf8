// Resolving a model's image spec from metadata / flags / shape, and applying it.
#include "data/image_preprocess.h"

#include <gtest/gtest.h>

namespace fastserve {
namespace {

using Meta = std::map<std::string, std::string>;

const Meta kFashionMeta = {
    {"fastserve.image.layout", "NCHW"}, {"fastserve.image.channels", "1"}, {"fastserve.image.height", "28"},
    {"fastserve.image.width", "28"},    {"fastserve.image.mean", "0.286"}, {"fastserve.image.std", "0.353"},
    {"fastserve.image.invert", "false"}};

TEST(ImageSpec, ReadsEveryMetadataKey) {
  Result<ImageSpec> s = resolve_image_spec(kFashionMeta, "input", Shape{kUnknownDim, 1, 28, 28});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->layout, TensorLayout::kNCHW);
  EXPECT_EQ(s->channels, 1);
  EXPECT_EQ(s->height, 28);
  EXPECT_EQ(s->width, 28);
  EXPECT_EQ(s->norm.mean, std::vector<float>{0.286f});
  EXPECT_EQ(s->norm.std, std::vector<float>{0.353f});
  EXPECT_FALSE(s->norm.invert);
  EXPECT_TRUE(s->warnings.empty());

  Meta m = {{"fastserve.image.layout", "NHWC"}, {"fastserve.image.mean", "0.485, 0.456,0.406"},
            {"fastserve.image.std", "0.229,0.224,0.225"}, {"fastserve.image.invert", "true"}};
  s = resolve_image_spec(m, "img", Shape{1, 224, 200, 3});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->layout, TensorLayout::kNHWC);
  EXPECT_EQ(s->channels, 3);
  EXPECT_EQ(s->height, 224);
  EXPECT_EQ(s->width, 200);
  EXPECT_EQ(s->norm.mean, (std::vector<float>{0.485f, 0.456f, 0.406f}));
  EXPECT_TRUE(s->norm.invert);
}

TEST(ImageSpec, MetadataSizeWorksWithUnknownDims) {
  Result<ImageSpec> s = resolve_image_spec(kFashionMeta, "input", Shape{kUnknownDim, 1, kUnknownDim, kUnknownDim});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->height, 28);
}

TEST(ImageSpec, OverridesWinOverMetadata) {
  ImageSpecOverrides o;
  o.mean = std::vector<float>{0.5f};
  o.std = std::vector<float>{0.25f};
  o.invert = true;
  Result<ImageSpec> s = resolve_image_spec(kFashionMeta, "input", Shape{1, 1, 28, 28}, o);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->norm.mean, std::vector<float>{0.5f});
  EXPECT_EQ(s->norm.std, std::vector<float>{0.25f});
  EXPECT_TRUE(s->norm.invert);
}

TEST(ImageSpec, FallsBackToTheStaticShapeWithAWarning) {
  Result<ImageSpec> s = resolve_image_spec({}, "x", Shape{kUnknownDim, 3, 32, 48});
  ASSERT_TRUE(s.ok()) << s.status().to_string();
  EXPECT_EQ(s->layout, TensorLayout::kNCHW);
  EXPECT_EQ(s->channels, 3);
  EXPECT_EQ(s->height, 32);
  EXPECT_EQ(s->width, 48);
  EXPECT_EQ(s->norm.mean, std::vector<float>{0.f});
  EXPECT_EQ(s->norm.std, std::vector<float>{1.f});
  ASSERT_EQ(s->warnings.size(), 1u);
  EXPECT_NE(s->warnings[0].find("'x'"), std::string::npos);
  // Channels last when only the last dim looks like channels.
  s = resolve_image_spec({}, "x", Shape{1, 64, 32, 1});
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->layout, TensorLayout::kNHWC);
  EXPECT_EQ(s->height, 64);
  EXPECT_EQ(s->width, 32);
  // A flag for mean alone is enough to silence the warning.
  ImageSpecOverrides o;
  o.mean = std::vector<float>{0.5f};
  s = resolve_image_spec({}, "x", Shape{1, 1, 8, 8}, o);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->warnings.empty());
}

TEST(ImageSpec, ErrorsNameTheInputOrKey) {
  auto err = [](const Meta& m, const Shape& shape, const std::string& needle, const ImageSpecOverrides& o = {}) {
    Result<ImageSpec> s = resolve_image_spec(m, "inp", shape, o);
    ASSERT_FALSE(s.ok()) << needle;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(needle), std::string::npos) << s.status().message();
  };
  err({}, Shape{1, 784}, "rank-4");
  err({}, Shape{1, 1, kUnknownDim, 28}, "height is unknown");
  err({}, Shape{1, 4, 8, 8}, "4 image channels");
  err({{"fastserve.image.height", "32"}}, Shape{1, 1, 28, 28}, "contradicts input 'inp'");
  err({{"fastserve.image.layout", "CHW"}}, Shape{1, 1, 28, 28}, "fastserve.image.layout");
  err({{"fastserve.image.width", "-3"}}, Shape{1, 1, 28, kUnknownDim}, "fastserve.image.width");
  err({{"fastserve.image.mean", "0.5,x"}}, Shape{1, 1, 28, 28}, "fastserve.image.mean");
  err({{"fastserve.image.invert", "maybe"}}, Shape{1, 1, 28, 28}, "fastserve.image.invert");
  err({{"fastserve.image.mean", "0.1,0.2"}}, Shape{1, 3, 8, 8}, "1 or 3");
  err({{"fastserve.image.std", "0"}}, Shape{1, 1, 8, 8}, "std must not be 0");
}

TEST(ImageSpec, ParseFloatList) {
  Result<std::vector<float>> v = parse_float_list(" 1.5, -2,3e-1 ", "--mean");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (std::vector<float>{1.5f, -2.f, 0.3f}));
  for (const char* bad : {"", ",", "1,", "1,,2", "abc", "1.0x", "nan", "inf"}) {
    Result<std::vector<float>> r = parse_float_list(bad, "--std");
    ASSERT_FALSE(r.ok()) << "'" << bad << "'";
    EXPECT_NE(r.status().message().find("--std"), std::string::npos);
  }
}

Image grey(int w, int h, uint8_t value) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = 1;
  img.pixels.assign(static_cast<size_t>(w) * h, value);
  return img;
}

TEST(ImagePreprocess, ResizeNeverRejectsAMismatchWithAnExactMessage) {
  Result<ImageSpec> spec = resolve_image_spec(kFashionMeta, "input", Shape{1, 1, 28, 28});
  ASSERT_TRUE(spec.ok());
  Result<Tensor> t = preprocess_image_to_tensor(grey(64, 32, 0), *spec, ResizePolicy::kNever, "image.png", "input");
  ASSERT_FALSE(t.ok());
  EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t.status().message(), "image.png is 64x32, model 'input' expects 28x28 (use --resize auto)");
}

TEST(ImagePreprocess, AutoResizesConvertsAndNormalizesBitExactly) {
  Result<ImageSpec> spec = resolve_image_spec(kFashionMeta, "input", Shape{1, 1, 28, 28});
  ASSERT_TRUE(spec.ok());
  // A constant RGB image: grey conversion then resize keep the value 200.
  Image rgb;
  rgb.width = 40;
  rgb.height = 30;
  rgb.channels = 3;
  rgb.pixels.assign(40 * 30 * 3, 200);
  Result<Tensor> t = preprocess_image_to_tensor(rgb, *spec, ResizePolicy::kAuto, "a.png", "input");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), (Shape{1, 1, 28, 28}));
  // numpy: (np.float32(200)/np.float32(255) - np.float32(0.286)) / np.float32(0.353)
  const float expected = (200.0f / 255.0f - 0.286f) / 0.353f;
  for (int64_t i = 0; i < t->numel(); ++i) ASSERT_EQ(t->data<float>()[i], expected) << i;
}

TEST(ImagePreprocess, GreyImageFeedsAnRgbNhwcModel) {
  Meta m = {{"fastserve.image.mean", "0,0.5,1"}};
  Result<ImageSpec> spec = resolve_image_spec(m, "x", Shape{1, 2, 2, 3});
  ASSERT_TRUE(spec.ok()) << spec.status().to_string();
  Result<Tensor> t = preprocess_image_to_tensor(grey(2, 2, 255), *spec, ResizePolicy::kNever, "g.png", "x");
  ASSERT_TRUE(t.ok()) << t.status().to_string();
  EXPECT_EQ(t->shape(), (Shape{1, 2, 2, 3}));
  const float* d = t->data<float>();
  for (int px = 0; px < 4; ++px) {
    EXPECT_FLOAT_EQ(d[px * 3 + 0], 1.0f);
    EXPECT_FLOAT_EQ(d[px * 3 + 1], 0.5f);
    EXPECT_FLOAT_EQ(d[px * 3 + 2], 0.0f);
  }
}

}  // namespace
}  // namespace fastserve
