// The wire-format writer: every field kind encodes byte for byte as the test
// builder (tests/onnx/proto_builder.h) encodes it, nesting keeps borrowed
// bytes borrowed yet in place, and a file write equals the flat string.
#include "onnx/protobuf_writer.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "tests/onnx/proto_builder.h"
#include "tests/onnx/temp_dir.h"

namespace fastserve {
namespace {

using pb::WireWriter;
using testing::ProtoWriter;

TEST(ProtobufWriter, ScalarAndPackedFieldsMatchTheReferenceEncoding) {
  const std::vector<int64_t> ints = {0, 1, 127, 128, -1, std::numeric_limits<int64_t>::min(), int64_t{1} << 40};
  const std::vector<float> floats = {0.f, -1.5f, 3.25e-8f};
  WireWriter w;
  w.varint_field(1, 300);
  w.int64_field(2, -2);
  w.float_field(3, -0.75f);
  w.bytes_field(4, std::string("a\0b", 3));
  w.packed_int64s(5, ints);
  w.packed_floats(6, floats);
  w.packed_int64s(7, {});  // empty: nothing written
  ProtoWriter want;
  want.varint(1, 300).int64(2, -2).float32(3, -0.75f).bytes(4, std::string("a\0b", 3));
  want.packed_varints(5, ints).packed_floats(6, floats);
  EXPECT_EQ(w.to_string(), want.str());
  EXPECT_EQ(w.size(), want.str().size());
}

TEST(ProtobufWriter, NestedMessagesWithBorrowedBytes) {
  const std::string big(1000, 'x');  // borrowed, like initializer data
  WireWriter inner;
  inner.bytes_field(1, "name");
  inner.bytes_field_ref(9, big.data(), big.size());
  inner.varint_field(2, 7);  // owned bytes after a borrowed piece
  WireWriter outer;
  outer.varint_field(1, 5);
  outer.message(3, std::move(inner));
  outer.bytes_field_ref(4, big.data(), 0);  // empty borrowed field
  EXPECT_EQ(inner.size(), 0u);

  ProtoWriter in;
  in.bytes(1, "name").bytes(9, big).varint(2, 7);
  ProtoWriter want;
  want.varint(1, 5).message(3, in).bytes(4, "");
  EXPECT_EQ(outer.to_string(), want.str());

  testing::TempDir dir;
  const std::string path = dir.file("out.bin");
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  EXPECT_TRUE(outer.write_to(f));
  std::fclose(f);
  f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  std::string got(outer.size() + 1, '\0');
  got.resize(std::fread(got.data(), 1, got.size(), f));
  std::fclose(f);
  EXPECT_EQ(got, want.str());
}

}  // namespace
}  // namespace fastserve
