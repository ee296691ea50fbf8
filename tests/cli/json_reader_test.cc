// The tests' JSON reader accepts what the CLI prints and rejects broken text,
// so a malformed --json output cannot slip through the CLI tests.
#include "tests/cli/json_reader.h"

#include <gtest/gtest.h>

namespace fastserve::testing {
namespace {

TEST(JsonReader, ParsesNestedValuesInOrder) {
  std::string error;
  std::optional<JsonValue> v =
      parse_json(R"( {"b":[1,-2.5e3,true,null],"a":{"s":"q\"\\\n\u0041"},"e":[] } )", &error);
  ASSERT_TRUE(v.has_value()) << error;
  EXPECT_EQ(v->keys(), (std::vector<std::string>{"b", "a", "e"}));
  const JsonValue* b = v->find("b");
  ASSERT_TRUE(b && b->is_array() && b->array.size() == 4u);
  EXPECT_EQ(b->array[0].number, 1);
  EXPECT_EQ(b->array[1].number, -2500);
  EXPECT_TRUE(b->array[2].boolean);
  EXPECT_TRUE(b->array[3].is_null());
  EXPECT_EQ(v->find("a")->find("s")->string, "q\"\\\nA");
  EXPECT_TRUE(v->find("e")->array.empty());
  EXPECT_EQ(v->find("missing"), nullptr);
}

TEST(JsonReader, RejectsMalformedText) {
  for (const char* bad : {"", "{", "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "{\"a\":1}}", "\"open", "01x", "{a:1}",
                          "[1,]", "nul", "{\"a\":1} {\"b\":2}", "1.", "-", "\"tab\there\""}) {
    std::string error;
    EXPECT_FALSE(parse_json(bad, &error).has_value()) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
}

}  // namespace
}  // namespace fastserve::testing
