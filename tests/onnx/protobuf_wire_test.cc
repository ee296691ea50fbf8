// The bounds-checked wire-format cursor: every read either succeeds within
// bounds or returns an error that says truncated / malformed.
#include "onnx/protobuf_wire.h"

#include <gtest/gtest.h>

#include <limits>
#include <list>
#include <set>
#include <string>

#include "tests/onnx/proto_builder.h"

namespace fastserve {
namespace {

using pb::WireReader;
using pb::WireType;
using testing::ProtoWriter;

// A reader over a copy of `s` kept alive for the whole test program, so
// tests may pass temporaries. Copies are exact-size heap blocks: ASan flags
// any read past the end.
WireReader reader(const std::string& s) {
  static std::list<std::vector<uint8_t>> keep;
  keep.emplace_back(s.begin(), s.end());
  return WireReader(keep.back().data(), keep.back().size());
}

bool starts_with(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

TEST(ProtobufWire, VarintRoundTripsEdgeValues) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{127}, uint64_t{128}, uint64_t{300}, uint64_t{1} << 35,
                     std::numeric_limits<uint64_t>::max() - 1, std::numeric_limits<uint64_t>::max()}) {
    const std::string bytes = ProtoWriter::encode_varint(v);
    WireReader r = reader(bytes);
    auto got = r.read_varint();
    ASSERT_TRUE(got.ok()) << got.status().to_string();
    EXPECT_EQ(*got, v);
    EXPECT_TRUE(r.at_end());
  }
  // -1 as int64 is the 10-byte encoding with 0x01 last.
  const std::string minus_one = ProtoWriter::encode_varint(static_cast<uint64_t>(int64_t{-1}));
  EXPECT_EQ(minus_one.size(), 10u);
  WireReader r = reader(minus_one);
  EXPECT_EQ(static_cast<int64_t>(*r.read_varint()), -1);
}

TEST(ProtobufWire, VarintOverflowIsAnError) {
  // Ten bytes whose last carries more than bit 63.
  std::string too_big(9, '\xff');
  too_big.push_back('\x02');
  WireReader r = reader(too_big);
  auto v = r.read_varint();
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("overflows 64 bits"), std::string::npos) << v.status().message();

  // Eleven bytes: continuation bit set on the tenth.
  std::string too_long(10, '\x80');
  too_long.push_back('\x00');
  WireReader r2 = reader(too_long);
  auto v2 = r2.read_varint();
  ASSERT_FALSE(v2.ok());
  EXPECT_TRUE(starts_with(v2.status().message(), "malformed protobuf")) << v2.status().message();
}

TEST(ProtobufWire, VarintCutOffIsTruncated) {
  WireReader r = reader(std::string("\x80\x80", 2));
  auto v = r.read_varint();
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(starts_with(v.status().message(), "truncated: ")) << v.status().message();
}

TEST(ProtobufWire, TagRejectsFieldZeroAndBadWireTypes) {
  {
    WireReader r = reader(std::string(1, '\x02'));  // field 0, wire type 2
    EXPECT_FALSE(r.read_tag().ok());
  }
  for (int wt : {6, 7}) {
    WireReader r = reader(std::string(1, static_cast<char>((1 << 3) | wt)));
    auto t = r.read_tag();
    ASSERT_FALSE(t.ok());
    EXPECT_NE(t.status().message().find("invalid wire type"), std::string::npos);
  }
  ProtoWriter w;
  w.tag(536870911, 5);  // the largest field number
  WireReader r = reader(w.str());
  auto t = r.read_tag();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->field, 536870911u);
  EXPECT_EQ(t->wire_type, WireType::kFixed32);
}

TEST(ProtobufWire, LengthPastEndIsTruncatedAtTopLevel) {
  std::string s = ProtoWriter().bytes(1, "hello").str();
  s.pop_back();  // cut the payload short
  WireReader r = reader(s);
  ASSERT_TRUE(r.read_tag().ok());
  auto b = r.read_length_delimited();
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(starts_with(b.status().message(), "truncated: ")) << b.status().message();
}

TEST(ProtobufWire, LengthPastEndOfSubMessageIsMalformed) {
  // An inner length that exceeds its enclosing message, while the buffer
  // itself is complete: inconsistent, not cut off.
  ProtoWriter inner;
  inner.tag(1, 2).raw(ProtoWriter::encode_varint(50)).raw("abc");
  const std::string s = ProtoWriter().message(3, inner).str() + std::string(100, '\0');
  WireReader r = reader(s);
  ASSERT_TRUE(r.read_tag().ok());
  auto sub = r.read_message();
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(sub->read_tag().ok());
  auto b = sub->read_length_delimited();
  ASSERT_FALSE(b.ok());
  EXPECT_TRUE(starts_with(b.status().message(), "malformed protobuf")) << b.status().message();
}

TEST(ProtobufWire, HugeLengthDoesNotWrap) {
  ProtoWriter w;
  w.tag(1, 2).raw(ProtoWriter::encode_varint(std::numeric_limits<uint64_t>::max())).raw("xy");
  WireReader r = reader(w.str());
  ASSERT_TRUE(r.read_tag().ok());
  EXPECT_FALSE(r.read_length_delimited().ok());
}

TEST(ProtobufWire, SkipsEveryWireTypeButGroups) {
  ProtoWriter w;
  w.varint(1, 1234567).fixed64(2, 42).bytes(3, "payload").fixed32(4, 7).varint(5, 99);
  WireReader r = reader(w.str());
  for (int i = 0; i < 4; ++i) {
    auto t = r.read_tag();
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(r.skip_field(t->wire_type).ok());
  }
  auto t = r.read_tag();
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->field, 5u);
  EXPECT_EQ(*r.read_varint(), 99u);
  EXPECT_TRUE(r.at_end());

  for (int wt : {3, 4}) {
    WireReader g = reader(ProtoWriter().tag(1, wt).str());
    auto gt = g.read_tag();
    ASSERT_TRUE(gt.ok());
    Status s = g.skip_field(gt->wire_type);
    ASSERT_FALSE(s.ok());
    EXPECT_NE(s.message().find("groups are not supported"), std::string::npos);
  }
}

TEST(ProtobufWire, FixedReadsCheckBounds) {
  WireReader r = reader(std::string("\x01\x02\x03", 3));
  EXPECT_FALSE(r.read_fixed32().ok());
  WireReader r8 = reader(std::string(7, '\0'));
  EXPECT_FALSE(r8.read_fixed64().ok());
  const std::string f = ProtoWriter().float32(1, 1.5f).float64(2, -2.25).str();
  WireReader rf = reader(f);
  ASSERT_TRUE(rf.read_tag().ok());
  EXPECT_EQ(*rf.read_float(), 1.5f);
  ASSERT_TRUE(rf.read_tag().ok());
  EXPECT_EQ(*rf.read_double(), -2.25);
}

TEST(ProtobufWire, RepeatedVarintsAcceptPackedUnpackedAndMixed) {
  ProtoWriter w;
  w.packed_varints(1, {1, -2, 300}).int64(1, 4).packed_varints(1, {}).int64(1, -5);
  WireReader r = reader(w.str());
  std::vector<int64_t> out;
  while (!r.at_end()) {
    auto t = r.read_tag();
    ASSERT_TRUE(t.ok());
    ASSERT_TRUE(pb::append_varints(r, t->wire_type, out).ok());
  }
  EXPECT_EQ(out, (std::vector<int64_t>{1, -2, 300, 4, -5}));

  // int32 fields carry negatives as 64-bit two's complement.
  WireReader r32 = reader(ProtoWriter().packed_varints(1, {-7, 7}).str());
  std::vector<int32_t> out32;
  auto t = r32.read_tag();
  ASSERT_TRUE(pb::append_varints(r32, t->wire_type, out32).ok());
  EXPECT_EQ(out32, (std::vector<int32_t>{-7, 7}));
}

TEST(ProtobufWire, RepeatedFixedAcceptPackedUnpackedAndRejectRaggedRuns) {
  ProtoWriter w;
  w.packed_floats(1, {1.f, 2.f}).float32(1, 3.f);
  WireReader r = reader(w.str());
  std::vector<float> out;
  while (!r.at_end()) {
    auto t = r.read_tag();
    ASSERT_TRUE(pb::append_fixed(r, t->wire_type, out).ok());
  }
  EXPECT_EQ(out, (std::vector<float>{1.f, 2.f, 3.f}));

  WireReader rd = reader(ProtoWriter().packed_doubles(1, {0.5, -1.0}).float64(1, 8.0).str());
  std::vector<double> outd;
  while (!rd.at_end()) {
    auto t = rd.read_tag();
    ASSERT_TRUE(pb::append_fixed(rd, t->wire_type, outd).ok());
  }
  EXPECT_EQ(outd, (std::vector<double>{0.5, -1.0, 8.0}));

  WireReader bad = reader(ProtoWriter().bytes(1, "abcde").str());  // 5 bytes: not whole floats
  auto t = bad.read_tag();
  std::vector<float> none;
  EXPECT_FALSE(pb::append_fixed(bad, t->wire_type, none).ok());

  WireReader wrong = reader(ProtoWriter().varint(1, 3).str());  // a float field as varint
  auto wt = wrong.read_tag();
  EXPECT_FALSE(pb::append_fixed(wrong, wt->wire_type, none).ok());
}

TEST(ProtobufWire, EveryPrefixFailsUnlessItEndsOnAFieldBoundary) {
  // Each read either succeeds in bounds or errors (ASan in CI checks the
  // "in bounds"); a prefix parses only if it ends exactly between fields.
  ProtoWriter w;
  std::set<size_t> boundaries{0};
  w.varint(1, 1ull << 40);
  boundaries.insert(w.size());
  w.fixed64(2, 1);
  boundaries.insert(w.size());
  w.bytes(3, "abcdef");
  boundaries.insert(w.size());
  w.fixed32(4, 2);
  boundaries.insert(w.size());
  w.packed_varints(5, {1, 1000, -1});
  boundaries.insert(w.size());
  const std::string full = w.str();
  for (size_t n = 0; n <= full.size(); ++n) {
    // An exact-size heap copy, so ASan sees any read past the prefix.
    std::vector<uint8_t> copy(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(n));
    WireReader r(copy.data(), copy.size());
    bool failed = false;
    while (!r.at_end() && !failed) {
      auto t = r.read_tag();
      failed = !t.ok() || !r.skip_field(t->wire_type).ok();
    }
    EXPECT_EQ(failed, boundaries.count(n) == 0) << "prefix of " << n << " bytes";
  }
}

}  // namespace
}  // namespace fastserve
