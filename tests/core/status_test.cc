#include "fastserve/status.h"

#include <gtest/gtest.h>

namespace fastserve {
namespace {

Status fails_with(StatusCode code) { return Status(code, "boom"); }

Status propagates(StatusCode code, bool* reached_end) {
  FS_RETURN_IF_ERROR(fails_with(code));
  *reached_end = true;
  return ok_status();
}

Result<int> maybe_int(bool ok) {
  if (ok) return 42;
  return not_found("no int");
}

Status assign_or_return(bool ok, int* out) {
  FS_ASSIGN_OR_RETURN(int v, maybe_int(ok));
  *out = v;
  return ok_status();
}

TEST(Status, CodeNamesAreDistinctAndStable) {
  EXPECT_STREQ(status_code_name(StatusCode::kOk), "OK");
  EXPECT_STREQ(status_code_name(StatusCode::kInvalidArgument), "INVALID_ARGUMENT");
  EXPECT_STREQ(status_code_name(StatusCode::kNotFound), "NOT_FOUND");
  EXPECT_STREQ(status_code_name(StatusCode::kUnsupported), "UNSUPPORTED");
  EXPECT_STREQ(status_code_name(StatusCode::kInvalidModel), "INVALID_MODEL");
  EXPECT_STREQ(status_code_name(StatusCode::kOutOfRange), "OUT_OF_RANGE");
  EXPECT_STREQ(status_code_name(StatusCode::kResourceExhausted), "RESOURCE_EXHAUSTED");
  EXPECT_STREQ(status_code_name(StatusCode::kUnavailable), "UNAVAILABLE");
  EXPECT_STREQ(status_code_name(StatusCode::kDeadlineExceeded), "DEADLINE_EXCEEDED");
  EXPECT_STREQ(status_code_name(StatusCode::kInternal), "INTERNAL");
}

TEST(Status, ToStringShowsCodeAndMessage) {
  EXPECT_EQ(ok_status().to_string(), "OK");
  EXPECT_EQ(invalid_argument("bad shape").to_string(), "INVALID_ARGUMENT: bad shape");
}

TEST(Status, WithContextPrefixesErrorsOnly) {
  Status s = unsupported("op X").with_context("model.onnx");
  EXPECT_EQ(s.code(), StatusCode::kUnsupported);
  EXPECT_EQ(s.message(), "model.onnx: op X");
  EXPECT_TRUE(ok_status().with_context("ctx").ok());
  EXPECT_EQ(ok_status().with_context("ctx").message(), "");
}

TEST(Status, ReturnIfErrorStopsAtFirstError) {
  bool reached = false;
  Status s = propagates(StatusCode::kInternal, &reached);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_FALSE(reached);
  EXPECT_TRUE(propagates(StatusCode::kOk, &reached).ok());
  EXPECT_TRUE(reached);
}

TEST(Status, AssignOrReturnPropagatesValueAndError) {
  int v = 0;
  EXPECT_TRUE(assign_or_return(true, &v).ok());
  EXPECT_EQ(v, 42);
  v = 0;
  Status s = assign_or_return(false, &v);
  EXPECT_EQ(s.code(), StatusCode::kNotFound);
  EXPECT_EQ(v, 0);
}

TEST(Status, ResultFromOkStatusBecomesInternalError) {
  Result<int> r(ok_status());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
}

TEST(StatusDeathTest, CheckFailedPrintsFileLineExprAndMessage) {
  EXPECT_DEATH(FS_CHECK_MSG(1 + 1 == 3, "arithmetic broke"),
               "FATAL .*status_test.cc:[0-9]+: check failed: 1 \\+ 1 == 3 \\(arithmetic broke\\)");
  EXPECT_DEATH(FS_CHECK(false), "FATAL .*status_test.cc:[0-9]+: check failed: false");
}

}  // namespace
}  // namespace fastserve
