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
      // Opset 9 loads only with ops unchanged up to opset 11; its Softmax changed.
      {"opset9", false, StatusCode::kUnsupported,
       {"opset 9 is supported only for ops ONNX left unchanged up to opset 11", "(Softmax): redefined by Softmax-11"}},
      {"opset29", false, StatusCode::kUnsupported, {"opset 29 is not supported", "1 to 28"}},
      {"opset99", false, StatusCode::kUnsupported, {"opset 99 is not supported", "1 to 28"}},
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

INSTANTIATE_TEST_SUITE_P(/* no prefix: names stay InvalidModels.* */, InvalidModels, ::testing::ValuesIn(invalid_models()),
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

// Protobuf varint at bytes[*pos]; advances *pos. -1 when malformed.
int64_t read_varint(const std::vector<char>& bytes, size_t* pos) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64 && *pos < bytes.size(); shift += 7) {
    const auto b = static_cast<uint8_t>(bytes[(*pos)++]);
    v |= uint64_t{b & 0x7fu} << shift;
    if (b < 0x80) return static_cast<int64_t>(v);
  }
  return -1;
}

void append_varint(std::vector<char>& out, uint64_t v) {
  for (; v >= 0x80; v >>= 7) out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  out.push_back(static_cast<char>(v));
}

// The ONNX messages a model nests, for walking the file without a protobuf
// library. kLeaf: a scalar, string, bytes or packed field (not descended into).
enum class Msg { kLeaf, kModel, kGraph, kNode, kAttribute, kTensor, kValueInfo, kType, kTypeTensor, kShape, kDim };

// The message type of field `field` of a `parent` message (onnx.proto numbering).
Msg submessage(Msg parent, int64_t field) {
  switch (parent) {
    case Msg::kModel: return field == 7 ? Msg::kGraph : Msg::kLeaf;
    case Msg::kGraph:
      if (field == 1) return Msg::kNode;
      if (field == 5) return Msg::kTensor;
      return field == 11 || field == 12 || field == 13 ? Msg::kValueInfo : Msg::kLeaf;
    case Msg::kNode: return field == 5 ? Msg::kAttribute : Msg::kLeaf;
    case Msg::kAttribute:
      if (field == 5 || field == 10) return Msg::kTensor;
      return field == 6 || field == 11 ? Msg::kGraph : Msg::kLeaf;
    case Msg::kValueInfo: return field == 2 ? Msg::kType : Msg::kLeaf;
    case Msg::kType: return field == 1 ? Msg::kTypeTensor : Msg::kLeaf;
    case Msg::kTypeTensor: return field == 2 ? Msg::kShape : Msg::kLeaf;
    case Msg::kShape: return field == 1 ? Msg::kDim : Msg::kLeaf;
    default: return Msg::kLeaf;
  }
}

// One field of a message: [start, tag_end) tag, [tag_end, payload) length
// (length-delimited only), [payload, end) value.
struct Field {
  size_t start = 0, tag_end = 0, payload = 0, end = 0;
  int64_t number = 0;
  int wire = 0;
};

// Reads the field at *pos (advancing past it); false when malformed.
bool next_field(const std::vector<char>& b, size_t limit, size_t* pos, Field* f) {
  f->start = *pos;
  const int64_t tag = read_varint(b, pos);
  if (tag <= 0) return false;
  f->number = tag >> 3;
  f->wire = static_cast<int>(tag & 7);
  f->tag_end = *pos;
  if (f->wire == 0) {
    if (read_varint(b, pos) < 0) return false;
    f->payload = f->tag_end;
  } else if (f->wire == 1 || f->wire == 5) {
    *pos += f->wire == 1 ? 8 : 4;
    f->payload = f->tag_end;
  } else if (f->wire == 2) {
    const int64_t len = read_varint(b, pos);
    if (len < 0) return false;
    f->payload = *pos;
    *pos += static_cast<size_t>(len);
  } else {
    return false;
  }
  f->end = *pos;
  return f->end <= limit;
}

// Every position worth cutting at inside the message [begin, end) of type
// `type`, at every depth: each field's start (a clean cut between fields),
// inside its tag, just after its tag, inside and at the end of its length,
// one byte into and one byte short of its value.
void cut_points(const std::vector<char>& b, size_t begin, size_t end, Msg type, std::vector<size_t>* points) {
  size_t pos = begin;
  Field f;
  while (pos < end && next_field(b, end, &pos, &f)) {
    for (size_t p : {f.start, f.start + 1, f.tag_end, f.tag_end + 1, f.payload, f.payload + 1, f.end - 1}) {
      if (p >= f.start && p < f.end) points->push_back(p);
    }
    const Msg sub = f.wire == 2 ? submessage(type, f.number) : Msg::kLeaf;
    if (sub != Msg::kLeaf) cut_points(b, f.payload, f.end, sub, points);
  }
}

// The message [begin, end) of type `type` cut at byte p (begin <= p < end)
// with its framing kept consistent: fields before p are copied whole; the
// field holding p is, if a message, re-encoded with a shorter length around
// its own cut, and otherwise cut short (a length that runs past the end of
// its enclosing message, or a half varint); what follows p is dropped.
// *clean is set false when the cut lands inside a field.
void emit_cut(const std::vector<char>& b, size_t begin, size_t end, Msg type, size_t p, std::vector<char>* out,
              bool* clean) {
  size_t pos = begin;
  Field f;
  while (pos < p && next_field(b, end, &pos, &f)) {
    if (f.end <= p) {
      out->insert(out->end(), b.begin() + static_cast<std::ptrdiff_t>(f.start),
                  b.begin() + static_cast<std::ptrdiff_t>(f.end));
      continue;
    }
    const Msg sub = f.wire == 2 ? submessage(type, f.number) : Msg::kLeaf;
    if (sub != Msg::kLeaf && p >= f.payload) {
      std::vector<char> inner;
      emit_cut(b, f.payload, f.end, sub, p, &inner, clean);
      out->insert(out->end(), b.begin() + static_cast<std::ptrdiff_t>(f.start),
                  b.begin() + static_cast<std::ptrdiff_t>(f.tag_end));
      append_varint(*out, inner.size());
      out->insert(out->end(), inner.begin(), inner.end());
    } else {
      out->insert(out->end(), b.begin() + static_cast<std::ptrdiff_t>(f.start),
                  b.begin() + static_cast<std::ptrdiff_t>(p));
      *clean = false;
    }
    return;
  }
}

// A plain prefix is caught by the first check (ModelProto.graph, nearly the
// whole file, announces more bytes than are left). This reaches the parsers
// of every nested message instead: the graph is cut at every interesting
// position at every depth (see cut_points) with all enclosing lengths
// re-encoded, and the fields after the graph (opset_import, metadata) kept.
// A cut inside a field must be refused with an error naming the buffer. A
// clean cut between fields can be a well-formed smaller model (a graph
// missing its later nodes or outputs); the reader may accept or refuse it,
// and if it accepts, Session::create and run must not crash either.
TEST(InvalidModelsTruncated, GraphCutAtEveryDepthFailsCleanly) {
  const std::vector<char> bytes = read_file_bytes(source_path("models/tiny_cnn.onnx"));
  ASSERT_GT(bytes.size(), 10000u);
  std::vector<Field> top;
  size_t pos = 0;
  Field f;
  while (pos < bytes.size()) {
    ASSERT_TRUE(next_field(bytes, bytes.size(), &pos, &f)) << "tiny_cnn.onnx: malformed at offset " << f.start;
    top.push_back(f);
  }
  auto graph = std::find_if(top.begin(), top.end(), [](const Field& t) { return t.number == 7 && t.wire == 2; });
  ASSERT_NE(graph, top.end()) << "no graph field";

  std::vector<size_t> points;
  cut_points(bytes, graph->payload, graph->end, Msg::kGraph, &points);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  ASSERT_GT(points.size(), 200u);

  int refused = 0, clean_accepted = 0;
  for (size_t p : points) {
    std::vector<char> model;
    bool clean = true;
    for (const Field& t : top) {
      if (&t != &*graph) {
        model.insert(model.end(), bytes.begin() + static_cast<std::ptrdiff_t>(t.start),
                     bytes.begin() + static_cast<std::ptrdiff_t>(t.end));
        continue;
      }
      std::vector<char> inner;
      emit_cut(bytes, t.payload, t.end, Msg::kGraph, p, &inner, &clean);
      model.insert(model.end(), bytes.begin() + static_cast<std::ptrdiff_t>(t.start),
                   bytes.begin() + static_cast<std::ptrdiff_t>(t.tag_end));
      append_varint(model, inner.size());
      model.insert(model.end(), inner.begin(), inner.end());
    }
    auto buffer = std::shared_ptr<char[]>(new char[model.size()]);
    std::memcpy(buffer.get(), model.data(), model.size());
    const std::string display = "tiny_cnn.onnx(cut at " + std::to_string(p) + ")";
    Result<std::shared_ptr<Model>> m = load_onnx_model_from_memory(buffer.get(), model.size(), display, "", buffer);
    if (!m.ok()) {
      EXPECT_NE(m.status().message().find(display), std::string::npos) << m.status().to_string();
      ++refused;
      continue;
    }
    ASSERT_TRUE(clean) << display << ": a cut inside a field loaded";
    ++clean_accepted;
    Result<std::unique_ptr<Session>> s = Session::create(*m);
    if (!s.ok()) continue;
    std::vector<NamedTensor> feeds;
    for (const IoInfo& in : (*s)->inputs()) {
      Shape shape = in.shape;
      for (int64_t& d : shape.dims()) d = d == kUnknownDim ? 1 : d;
      feeds.push_back({in.name, Tensor::zeros(in.dtype, shape)});
    }
    (void)(*s)->run(feeds);  // may fail, must not crash
  }
  std::cout << points.size() << " cuts: " << refused << " refused, " << clean_accepted
            << " clean cuts between fields accepted\n";
  EXPECT_GT(refused, 100);
}

}  // namespace
}  // namespace fastserve::testing
