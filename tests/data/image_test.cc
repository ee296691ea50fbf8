// Image decoding, channel conversion, resizing and normalization (data/image.h).
#include "data/image.h"

#include <gtest/gtest.h>

#include <random>

#include "stb_image_write.h"
#include "tests/cli/cli_harness.h"

namespace fastserve {
namespace {

using testing::ScratchDir;

Image make_image(int w, int h, int c, std::vector<uint8_t> pixels) {
  Image img;
  img.width = w;
  img.height = h;
  img.channels = c;
  img.pixels = std::move(pixels);
  return img;
}

Image random_image(int w, int h, int c, std::mt19937& rng) {
  std::uniform_int_distribution<int> d(0, 255);
  std::vector<uint8_t> px(static_cast<size_t>(w) * h * c);
  for (uint8_t& p : px) p = static_cast<uint8_t>(d(rng));
  return make_image(w, h, c, std::move(px));
}

void append_to_string(void* ctx, void* data, int size) {
  static_cast<std::string*>(ctx)->append(static_cast<char*>(data), static_cast<size_t>(size));
}

std::string encode_png(const Image& img) {
  std::string out;
  stbi_write_png_to_func(append_to_string, &out, img.width, img.height, img.channels, img.pixels.data(),
                         img.width * img.channels);
  return out;
}

TEST(Image, PngRoundTripsEveryChannelCount) {
  std::mt19937 rng(1234);
  for (int c = 1; c <= 4; ++c) {
    Image src = random_image(7, 5, c, rng);  // odd sizes: rows not a multiple of anything
    std::string png = encode_png(src);
    ASSERT_FALSE(png.empty());
    Result<Image> got = decode_image_memory(png.data(), png.size(), "mem.png");
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(got->width, 7);
    EXPECT_EQ(got->height, 5);
    EXPECT_EQ(got->channels, c);
    EXPECT_EQ(got->pixels, src.pixels) << "channels " << c;
  }
}

TEST(Image, DecodesBmpExactlyAndJpegApproximately) {
  std::mt19937 rng(1234);
  Image src = random_image(6, 4, 3, rng);
  std::string bmp;
  ASSERT_NE(stbi_write_bmp_to_func(append_to_string, &bmp, src.width, src.height, 3, src.pixels.data()), 0);
  Result<Image> got = decode_image_memory(bmp.data(), bmp.size(), "a.bmp");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->pixels, src.pixels);

  // JPEG is lossy: a flat colour survives within a few levels.
  Image flat = make_image(16, 8, 3, {});
  for (int i = 0; i < 16 * 8; ++i) flat.pixels.insert(flat.pixels.end(), {90, 160, 220});
  std::string jpg;
  ASSERT_NE(stbi_write_jpg_to_func(append_to_string, &jpg, 16, 8, 3, flat.pixels.data(), 95), 0);
  got = decode_image_memory(jpg.data(), jpg.size(), "a.jpg");
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->width, 16);
  EXPECT_EQ(got->height, 8);
  ASSERT_EQ(got->channels, 3);
  for (size_t i = 0; i < got->pixels.size(); ++i) ASSERT_NEAR(got->pixels[i], flat.pixels[i], 3) << i;
}

TEST(Image, DecodesFromFile) {
  ScratchDir dir;
  std::mt19937 rng(1234);
  Image src = random_image(3, 2, 3, rng);
  testing::write_file(dir.file("a.png"), encode_png(src));
  Result<Image> got = decode_image_file(dir.file("a.png"));
  ASSERT_TRUE(got.ok()) << got.status().to_string();
  EXPECT_EQ(got->pixels, src.pixels);
}

TEST(Image, UndecodableBytesNameTheFileAndStbsReason) {
  const std::string junk = "GIF89a but then nothing sensible";
  Result<Image> r = decode_image_memory(junk.data(), junk.size(), "pic.gif");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message().rfind("pic.gif: cannot decode image: ", 0), 0u) << r.status().message();
  EXPECT_GT(r.status().message().size(), std::string("pic.gif: cannot decode image: ").size());

  Result<Image> empty = decode_image_memory("", 0, "empty.png");
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.status().message().find("empty.png"), std::string::npos);

  // A PNG cut in half.
  std::mt19937 rng(1234);
  std::string png = encode_png(random_image(16, 16, 3, rng));
  Result<Image> cut = decode_image_memory(png.data(), png.size() / 2, "cut.png");
  ASSERT_FALSE(cut.ok());
  EXPECT_NE(cut.status().message().find("cut.png: cannot decode image"), std::string::npos);
}

TEST(Image, MissingFileIsNotFound) {
  Result<Image> r = decode_image_file("/nonexistent/dir/x.png");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("/nonexistent/dir/x.png"), std::string::npos);
}

TEST(Image, GreyConversionMatchesPilLuma) {
  // Hand-computed (19595 R + 38470 G + 7471 B + 32768) >> 16.
  Image rgb = make_image(5, 1, 3, {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 10, 20, 30});
  Image grey = convert_channels(rgb, 1);
  EXPECT_EQ(grey.channels, 1);
  EXPECT_EQ(grey.pixels, (std::vector<uint8_t>{76, 150, 29, 255, 18}));
  // RGBA: alpha dropped, not composited.
  Image rgba = make_image(1, 1, 4, {255, 0, 0, 0});
  EXPECT_EQ(convert_channels(rgba, 1).pixels, (std::vector<uint8_t>{76}));
  EXPECT_EQ(convert_channels(rgba, 3).pixels, (std::vector<uint8_t>{255, 0, 0}));
  // Grey+alpha -> grey keeps the grey value; grey -> RGB replicates it.
  Image ga = make_image(2, 1, 2, {7, 0, 200, 255});
  EXPECT_EQ(convert_channels(ga, 1).pixels, (std::vector<uint8_t>{7, 200}));
  EXPECT_EQ(convert_channels(ga, 3).pixels, (std::vector<uint8_t>{7, 7, 7, 200, 200, 200}));
}

TEST(Image, ResizeUpIsBilinearWithHalfPixelCenters) {
  // 2 -> 4 columns: output centers map to input x = -0.25, 0.25, 0.75, 1.25 (clamped).
  Image src = make_image(2, 1, 1, {0, 100});
  Result<Image> r = resize_bilinear(src, 4, 1);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->pixels.size(), 4u);
  const int expected[] = {0, 25, 75, 100};
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(r->pixels[i], expected[i], 1) << i;
}

TEST(Image, ResizeDownIsAntialiased) {
  // 4 -> 2 columns: a triangle filter of radius 2 input pixels centered at
  // x = 0.5 weighs pixels -1(=0),0,1,2 by 0.25,0.75,0.75,0.25: (0.25*100)/2 = 12.5.
  // Point-sampled bilinear would give 0 and 100.
  Image src = make_image(4, 1, 1, {0, 0, 100, 100});
  Result<Image> r = resize_bilinear(src, 2, 1);
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->pixels[0], 12.5, 1);
  EXPECT_NEAR(r->pixels[1], 87.5, 1);
}

TEST(Image, ResizeKeepsConstantImagesAndChannels) {
  Image src = make_image(5, 3, 3, {});
  for (int i = 0; i < 15; ++i) src.pixels.insert(src.pixels.end(), {10, 128, 250});
  Result<Image> r = resize_bilinear(src, 11, 7);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->width, 11);
  EXPECT_EQ(r->height, 7);
  EXPECT_EQ(r->channels, 3);
  for (size_t i = 0; i < r->pixels.size(); i += 3) {
    ASSERT_EQ(r->pixels[i], 10);
    ASSERT_EQ(r->pixels[i + 1], 128);
    ASSERT_EQ(r->pixels[i + 2], 250);
  }
  EXPECT_FALSE(resize_bilinear(src, 0, 3).ok());
}

TEST(Image, NormalizeNchwAndNhwcWithPerChannelMeanStd) {
  // 2x1 RGB image.
  Image img = make_image(2, 1, 3, {0, 51, 102, 255, 204, 153});
  Normalization norm;
  norm.mean = {0.f, 0.5f, 1.f};
  norm.std = {1.f, 0.5f, 2.f};
  auto expect = [](uint8_t p, float m, float s) { return (static_cast<float>(p) / 255.0f - m) / s; };
  std::vector<float> nchw(6), nhwc(6);
  ASSERT_TRUE(write_normalized(img, TensorLayout::kNCHW, norm, nchw.data()).ok());
  ASSERT_TRUE(write_normalized(img, TensorLayout::kNHWC, norm, nhwc.data()).ok());
  // NCHW: channel planes [R0 R1][G0 G1][B0 B1].
  EXPECT_EQ(nchw, (std::vector<float>{expect(0, 0, 1), expect(255, 0, 1), expect(51, .5f, .5f),
                                      expect(204, .5f, .5f), expect(102, 1, 2), expect(153, 1, 2)}));
  // NHWC: pixels [R0 G0 B0][R1 G1 B1].
  EXPECT_EQ(nhwc, (std::vector<float>{expect(0, 0, 1), expect(51, .5f, .5f), expect(102, 1, 2), expect(255, 0, 1),
                                      expect(204, .5f, .5f), expect(153, 1, 2)}));
  EXPECT_FLOAT_EQ(nchw[1], 1.0f);
  EXPECT_FLOAT_EQ(nchw[2], (0.2f - 0.5f) / 0.5f);
}

TEST(Image, NormalizeInvertAndScalarMeanStd) {
  Image img = make_image(2, 1, 1, {0, 255});
  Normalization norm;
  norm.mean = {0.25f};
  norm.std = {0.5f};
  norm.invert = true;
  Result<Tensor> t = image_to_tensor(img, TensorLayout::kNCHW, norm);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->shape(), (Shape{1, 1, 1, 2}));
  EXPECT_FLOAT_EQ(t->data<float>()[0], (1.0f - 0.25f) / 0.5f);  // black becomes 1
  EXPECT_FLOAT_EQ(t->data<float>()[1], (0.0f - 0.25f) / 0.5f);
}

TEST(Image, NormalizeRejectsBadMeanStd) {
  Image img = make_image(1, 1, 3, {1, 2, 3});
  std::vector<float> out(3);
  Normalization two_means;
  two_means.mean = {0.1f, 0.2f};
  EXPECT_EQ(write_normalized(img, TensorLayout::kNCHW, two_means, out.data()).code(), StatusCode::kInvalidArgument);
  Normalization zero_std;
  zero_std.std = {1.f, 0.f, 1.f};
  EXPECT_EQ(write_normalized(img, TensorLayout::kNCHW, zero_std, out.data()).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace fastserve
