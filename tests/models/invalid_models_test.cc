// Invalid models are refused with an error that says what is wrong and
// where, never with a crash: the deliberately broken files of
// tests/data/models (see its README.md), and every truncation of a real model.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "fastserve/session.h"
#include "onnx/onnx_reader.h"
#include "tests/test_util.h"

namespace fastserve::testing {
namespace {

struct InvalidModel {
  const char* name;          // tests/data/models/<name>.onnx
  bool fails_at_session;     // loads (the file is valid ONNX) but Session::create refuses it
  StatusCode code;
  std::vector<std::string> fragments;  // each must appear in the one error message
};

void PrintTo(const InvalidModel& m, std::ostream* os) { *os << m.name; }

const std::vector<InvalidModel>& invalid_models() {
  static const std::vector<InvalidModel> kModels = {
      // Both unknown ops, each with its node, in one message.
      {"unknown_ops", true, StatusCode::kUnsupported,
       {"2 nodes have no kernel", "FooBar (node 'foo_node'", "NonMaxSuppressionX (node 'nms_x_node'"}},
      {"opset9", false, StatusCode::kUnsupported, {"opset 9 is not supported", "11 to 21"}},
      {"opset22", false, StatusCode::kUnsupported, {"opset 22 is not supported", "11 to 21"}},
      {"opset99", false, StatusCode::kUnsupported, {"opset 99 is not supported", "11 to 21"}},
      {"bad_raw_data_size", false, StatusCode::kInvalidModel,
       {"initializer 'W'", "raw_data has 40 bytes", "expected 48", "float32[4,3]"}},
      {"bad_float_data_count", false, StatusCode::kInvalidModel,
       {"initializer 'W'", "float_data has 11 values", "expected 12", "float32[4,3]"}},
      {"bad_external_out_of_range", false, StatusCode::kInvalidModel,
       {"initializer 'W'", "[32, 32 + 48)", "bad_external_out_of_range.bin", "64 bytes"}},
      {"bad_external_path_traversal", false, StatusCode::kInvalidModel,
       {"initializer 'W'", "'../../../../etc/passwd'", "escapes the model's directory"}},
  };
  return kModels;
}

class InvalidModels : public ::testing::TestWithParam<InvalidModel> {};

TEST_P(InvalidModels, RefusedWithCodeFileAndCause) {
  const InvalidModel& c = GetParam();
  const std::string file = std::string(c.name) + ".onnx";
  const std::string path = source_path("tests/data/models/" + file);
  ASSERT_TRUE(std::filesystem::exists(path)) << path;

  Result<std::shared_ptr<Model>> model = load_onnx_model(path);
  Status error;
  if (c.fails_at_session) {
    ASSERT_TRUE(model.ok()) << "the file itself is valid ONNX: " << model.status().to_string();
    Result<std::unique_ptr<Session>> session = Session::create(*model);
    ASSERT_FALSE(session.ok()) << file << " must not compile";
    error = session.status();
    // The portable path refuses it the same way.
    SessionOptions scalar;
    scalar.max_isa = "scalar";
    Result<std::unique_ptr<Session>> scalar_session = Session::create(*model, scalar);
    ASSERT_FALSE(scalar_session.ok());
    EXPECT_EQ(scalar_session.status().message(), error.message());
  } else {
    ASSERT_FALSE(model.ok()) << file << " must not load";
    error = model.status();
  }
  std::cout << c.name << ": " << error.to_string() << "\n";
  EXPECT_EQ(error.code(), c.code) << error.to_string();
  const std::string& msg = error.message();
  EXPECT_NE(msg.find(file), std::string::npos) << "the message must name the file: " << msg;
  for (const std::string& fragment : c.fragments) {
    EXPECT_NE(msg.find(fragment), std::string::npos) << "missing \"" << fragment << "\" in: " << msg;
  }
  // One message, not one line per problem.
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

INSTANTIATE_TEST_SUITE_P(DataModels, InvalidModels, ::testing::ValuesIn(invalid_models()),
                         [](const ::testing::TestParamInfo<InvalidModel>& info) { return std::string(info.param.name); });

std::vector<char> read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<char>(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Every prefix of tiny_cnn.onnx (in steps of 997 bytes, from 0) is refused
// with an error naming the buffer; the whole file loads, so the loop is
// known to exercise a parser that accepts good input.
TEST(InvalidModelsTruncated, EveryPrefixOfTinyCnnFailsCleanly) {
  const std::vector<char> bytes = read_file_bytes(source_path("models/tiny_cnn.onnx"));
  ASSERT_GT(bytes.size(), 10000u);
  int refused = 0;
  for (size_t len = 0; len < bytes.size(); len += 997) {
    // An exact-size heap copy, so a read past the end is a read past the
    // allocation (caught by ASan in sanitizer builds).
    auto buffer = std::shared_ptr<char[]>(new char[std::max<size_t>(len, 1)]);
    std::memcpy(buffer.get(), bytes.data(), len);
    const std::string display = "tiny_cnn.onnx[:" + std::to_string(len) + "]";
    Result<std::shared_ptr<Model>> m = load_onnx_model_from_memory(buffer.get(), len, display, "", buffer);
    ASSERT_FALSE(m.ok()) << display << " loaded";
    const StatusCode code = m.status().code();
    EXPECT_TRUE(code == StatusCode::kInvalidModel || code == StatusCode::kUnsupported)
        << display << ": " << m.status().to_string();
    EXPECT_NE(m.status().message().find(display), std::string::npos) << m.status().to_string();
    ++refused;
  }
  EXPECT_GT(refused, 10);
  auto whole = std::make_shared<std::vector<char>>(bytes);
  Result<std::shared_ptr<Model>> m =
      load_onnx_model_from_memory(whole->data(), whole->size(), "tiny_cnn.onnx", "", whole);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  Result<std::unique_ptr<Session>> s = Session::create(*m);
  EXPECT_TRUE(s.ok()) << s.status().to_string();
}

}  // namespace
}  // namespace fastserve::testing
