#include "core/npy.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>

namespace fastserve {
namespace {

std::string temp_path(const std::string& name) {
  return ::testing::TempDir() + "fastserve_npy_" + std::to_string(::getpid()) + "_" + name;
}

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

Tensor random_bytes_tensor(DType dt, Shape shape, std::mt19937& rng) {
  Tensor t = Tensor::empty(dt, std::move(shape));
  auto* p = static_cast<uint8_t*>(t.raw_data());
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<uint8_t>(rng());
  if (dt == DType::kBool) {
    for (size_t i = 0; i < t.nbytes(); ++i) p[i] &= 1;
  }
  return t;
}

// Hand-built file as numpy 1.x writes it, to check we parse real headers.
std::string make_npy(const std::string& header_dict, const std::string& data, int major = 1) {
  std::string h = header_dict;
  const size_t len_bytes = major == 1 ? 2 : 4;
  while ((10 + (len_bytes - 2) + h.size() + 1) % 64 != 0) h += ' ';
  h += '\n';
  std::string out("\x93NUMPY", 6);
  out += static_cast<char>(major);
  out += '\0';
  for (size_t i = 0; i < len_bytes; ++i) out += static_cast<char>((h.size() >> (8 * i)) & 0xff);
  return out + h + data;
}

TEST(Npy, RoundTripsEveryDType) {
  std::mt19937 rng(1234);
  const DType types[] = {DType::kF32, DType::kF16, DType::kF64, DType::kU8, DType::kI8, DType::kI16,
                         DType::kU16, DType::kI32, DType::kU32, DType::kI64, DType::kU64, DType::kBool};
  const Shape shapes[] = {Shape{}, Shape{7}, Shape{2, 3, 5}, Shape{0, 3}, Shape{1, 1, 1, 1, 3}};
  for (DType dt : types) {
    for (const Shape& s : shapes) {
      Tensor t = random_bytes_tensor(dt, s, rng);
      const std::string path = temp_path("rt.npy");
      ASSERT_TRUE(write_npy(path, t).ok()) << dtype_name(dt);
      const std::string bytes = read_file(path);
      // Format 1.0 header padded so the data starts on a 64-byte boundary.
      ASSERT_EQ((bytes.size() - t.nbytes()) % 64, 0u) << dtype_name(dt) << s.to_string();
      Result<Tensor> back = read_npy(path);
      ASSERT_TRUE(back.ok()) << back.status().to_string();
      EXPECT_EQ(back->dtype(), dt);
      EXPECT_EQ(back->shape(), s) << dtype_name(dt);
      ASSERT_EQ(back->nbytes(), t.nbytes());
      if (t.nbytes() > 0) {
        EXPECT_EQ(std::memcmp(back->raw_data(), t.raw_data(), t.nbytes()), 0) << dtype_name(dt);
      }
      std::remove(path.c_str());
    }
  }
}

TEST(Npy, WritesExactlyWhatNumpyWrites) {
  const std::string path = temp_path("hdr.npy");
  ASSERT_TRUE(write_npy(path, Tensor::from_vector<float>({1, 2, 3}, Shape{3})).ok());
  const std::string bytes = read_file(path);
  std::remove(path.c_str());
  // np.save(f, np.array([1, 2, 3], dtype=np.float32)) with numpy 2.x: a 118-byte
  // header (0x76) padded with spaces to 128 bytes in total, then the data.
  std::string expect("\x93NUMPY\x01\x00\x76\x00", 10);
  expect += "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }";
  expect.append(128 - 1 - expect.size(), ' ');
  expect += '\n';
  const float data[3] = {1, 2, 3};
  expect.append(reinterpret_cast<const char*>(data), sizeof(data));
  EXPECT_EQ(bytes, expect);
}

TEST(Npy, ParsesHandWrittenHeadersAndVersions) {
  std::string data(2 * 3 * 4, '\0');
  const int32_t v[6] = {1, -2, 3, -4, 5, 6};
  std::memcpy(data.data(), v, sizeof(v));
  for (int major : {1, 2, 3}) {
    const std::string file = make_npy("{\"descr\":\"<i4\",\"shape\":(2,3),\"fortran_order\":False}", data, major);
    Result<Tensor> t = parse_npy(file.data(), file.size(), "mem.npy");
    ASSERT_TRUE(t.ok()) << t.status().to_string();
    EXPECT_EQ(t->shape(), Shape({2, 3}));
    EXPECT_EQ(t->data<int32_t>()[3], -4);
  }
}

TEST(Npy, RefusesBf16FortranBigEndianAndUnknownTypes) {
  Status s = write_npy(temp_path("bf.npy"), Tensor::zeros(DType::kBF16, Shape{2}));
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  const std::string four(4, '\0');
  const std::string fortran = make_npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1,), }", four);
  EXPECT_EQ(parse_npy(fortran.data(), fortran.size(), "f.npy").status().code(), StatusCode::kUnsupported);
  const std::string big = make_npy("{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", four);
  Result<Tensor> b = parse_npy(big.data(), big.size(), "big.npy");
  EXPECT_EQ(b.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(b.status().message().find("big.npy"), std::string::npos);
  const std::string cplx = make_npy("{'descr': '<c8', 'fortran_order': False, 'shape': (1,), }", std::string(8, '\0'));
  EXPECT_EQ(parse_npy(cplx.data(), cplx.size(), "c.npy").status().code(), StatusCode::kUnsupported);
  // A single-byte type has no byte order: '>u1' is fine.
  const std::string u1 = make_npy("{'descr': '>u1', 'fortran_order': False, 'shape': (1,), }", std::string(1, '\x07'));
  Result<Tensor> ok = parse_npy(u1.data(), u1.size(), "u1.npy");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->data<uint8_t>()[0], 7);
}

TEST(Npy, TruncatedOrGarbageFilesAreInvalidArgumentNamingTheFile) {
  const std::string path = temp_path("trunc.npy");
  std::mt19937 rng(1234);
  ASSERT_TRUE(write_npy(path, random_bytes_tensor(DType::kF32, Shape{4, 4}, rng)).ok());
  const std::string good = read_file(path);
  std::remove(path.c_str());
  // Every strict prefix is rejected, never crashes.
  for (size_t n = 0; n < good.size(); ++n) {
    Result<Tensor> t = parse_npy(good.data(), n, "cut.npy");
    ASSERT_FALSE(t.ok()) << n;
    EXPECT_EQ(t.status().code(), StatusCode::kInvalidArgument) << n;
    EXPECT_NE(t.status().message().find("cut.npy"), std::string::npos);
  }
  const std::string extra = good + "xx";
  EXPECT_EQ(parse_npy(extra.data(), extra.size(), "x.npy").status().code(), StatusCode::kInvalidArgument);
  const std::string garbage = "this is not a numpy file at all, just text";
  EXPECT_EQ(parse_npy(garbage.data(), garbage.size(), "g.npy").status().code(), StatusCode::kInvalidArgument);
  const std::string bad_dict = make_npy("{'descr': '<f4', 'shape': [1], 'fortran_order': False}", std::string(4, '\0'));
  EXPECT_EQ(parse_npy(bad_dict.data(), bad_dict.size(), "d.npy").status().code(), StatusCode::kInvalidArgument);
  const std::string huge = make_npy("{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", "");
  EXPECT_EQ(parse_npy(huge.data(), huge.size(), "h.npy").status().code(), StatusCode::kInvalidArgument);
}

TEST(Npy, RandomCorruptionNeverCrashes) {
  std::mt19937 rng(1234);
  const std::string path = temp_path("fuzz.npy");
  ASSERT_TRUE(write_npy(path, random_bytes_tensor(DType::kI16, Shape{3, 5}, rng)).ok());
  const std::string good = read_file(path);
  std::remove(path.c_str());
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int k = 0; k < flips; ++k) bad[rng() % 80] = static_cast<char>(rng());
    Result<Tensor> t = parse_npy(bad.data(), bad.size(), "fuzz.npy");
    if (t.ok()) {
      EXPECT_LE(t->nbytes(), bad.size());
    }
  }
}

TEST(Npy, MissingFileIsNotFound) {
  Result<Tensor> t = read_npy("/nonexistent/dir/x.npy");
  EXPECT_EQ(t.status().code(), StatusCode::kNotFound);
  EXPECT_NE(t.status().message().find("/nonexistent/dir/x.npy"), std::string::npos);
}

}  // namespace
}  // namespace fastserve
