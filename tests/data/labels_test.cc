// Label files and the model's fastserve.labels metadata (data/labels.h).
#include "data/labels.h"

#include <gtest/gtest.h>

#include "tests/cli/cli_harness.h"
#include "tests/test_util.h"

namespace fastserve {
namespace {

using testing::ScratchDir;

TEST(Labels, ReadsOnePerLineHandlingCrlfBomAndTrailingNewlines) {
  ScratchDir dir;
  testing::write_file(dir.file("l.txt"), "\xEF\xBB\xBF" "cat\r\ndog\r\n\r\nbird with spaces\n\n\n");
  Result<std::vector<std::string>> l = read_labels(dir.file("l.txt"));
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  // The empty line in the middle is a (nameless) class: indices must not shift.
  EXPECT_EQ(*l, (std::vector<std::string>{"cat", "dog", "", "bird with spaces"}));
  testing::write_file(dir.file("nonl.txt"), "a\nb");
  EXPECT_EQ(read_labels(dir.file("nonl.txt")).value(), (std::vector<std::string>{"a", "b"}));
}

TEST(Labels, MissingAndEmptyFilesAreErrors) {
  Result<std::vector<std::string>> missing = read_labels("/nonexistent/labels.txt");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/labels.txt"), std::string::npos);
  ScratchDir dir;
  testing::write_file(dir.file("empty.txt"), "\n\n");
  Result<std::vector<std::string>> empty = read_labels(dir.file("empty.txt"));
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidArgument);
}

TEST(Labels, MetadataPathIsRelativeToTheModelFolder) {
  std::map<std::string, std::string> meta = {{"fastserve.labels", "names.txt"}};
  EXPECT_EQ(model_labels_path(meta, "/models/a/net.onnx"), "/models/a/names.txt");
  EXPECT_EQ(model_labels_path(meta, "net.onnx"), "names.txt");
  meta["fastserve.labels"] = "/abs/names.txt";
  EXPECT_EQ(model_labels_path(meta, "/models/a/net.onnx"), "/abs/names.txt");
  EXPECT_EQ(model_labels_path({}, "/models/a/net.onnx"), "");
}

TEST(Labels, ShippedFashionMnistLabels) {
  Result<std::vector<std::string>> l = read_labels(testing::source_path("models/fashion_mnist_labels.txt"));
  ASSERT_TRUE(l.ok()) << l.status().to_string();
  ASSERT_EQ(l->size(), 10u);
  EXPECT_EQ((*l)[0], "T-shirt/top");
  EXPECT_EQ((*l)[9], "Ankle boot");
}

TEST(Labels, LabelForFallsBackToTheIndex) {
  std::vector<std::string> l = {"a", "b"};
  EXPECT_EQ(label_for(l, 1), "b");
  EXPECT_EQ(label_for(l, 2), "class 2");
  EXPECT_EQ(label_for({}, 0), "class 0");
  EXPECT_EQ(label_for(l, -1), "class -1");
}

}  // namespace
}  // namespace fastserve
