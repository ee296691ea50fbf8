// Path routing of the v2 HTTP API (src/serve/http/http_route.h).
#include "serve/http/http_route.h"

#include <gtest/gtest.h>

namespace fastserve::serve {
namespace {

TEST(HttpRoute, MatchesServerRoutes) {
  EXPECT_EQ(match_route("/v2").kind, RouteKind::kServerMetadata);
  EXPECT_EQ(match_route("/v2/health/live").kind, RouteKind::kHealthLive);
  EXPECT_EQ(match_route("/v2/health/ready").kind, RouteKind::kHealthReady);
  EXPECT_EQ(match_route("/v2/health/other").kind, RouteKind::kNotFound);
  EXPECT_EQ(match_route("/v2/models/stats").kind, RouteKind::kAllModelStats);
  EXPECT_EQ(match_route("/v2/repository/index").kind, RouteKind::kRepositoryIndex);
}

TEST(HttpRoute, MatchesModelRoutesWithAndWithoutVersion) {
  struct Case {
    const char* target;
    RouteKind kind;
    const char* version;
  };
  const Case cases[] = {
      {"/v2/models/resnet", RouteKind::kModelMetadata, ""},
      {"/v2/models/resnet/versions/3", RouteKind::kModelMetadata, "3"},
      {"/v2/models/resnet/ready", RouteKind::kModelReady, ""},
      {"/v2/models/resnet/versions/3/ready", RouteKind::kModelReady, "3"},
      {"/v2/models/resnet/infer", RouteKind::kModelInfer, ""},
      {"/v2/models/resnet/versions/12/infer", RouteKind::kModelInfer, "12"},
      {"/v2/models/resnet/config", RouteKind::kModelConfig, ""},
      {"/v2/models/resnet/versions/1/config", RouteKind::kModelConfig, "1"},
      {"/v2/models/resnet/stats", RouteKind::kModelStats, ""},
      {"/v2/models/resnet/versions/2/stats", RouteKind::kModelStats, "2"},
      {"/v2/models/resnet/classify", RouteKind::kModelClassify, ""},
      {"/v2/models/resnet/versions/2/classify?topk=3", RouteKind::kModelClassify, "2"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.target);
    const Route r = match_route(c.target);
    EXPECT_EQ(r.kind, c.kind);
    EXPECT_EQ(r.model, "resnet");
    EXPECT_EQ(r.version, c.version);
  }
}

TEST(HttpRoute, MatchesRepositoryModelRoutes) {
  Route r = match_route("/v2/repository/models/tiny/load");
  EXPECT_EQ(r.kind, RouteKind::kRepositoryLoad);
  EXPECT_EQ(r.model, "tiny");
  r = match_route("/v2/repository/models/tiny/unload");
  EXPECT_EQ(r.kind, RouteKind::kRepositoryUnload);
  EXPECT_EQ(r.model, "tiny");
  EXPECT_EQ(match_route("/v2/repository/models/tiny/reload").kind, RouteKind::kNotFound);
}

TEST(HttpRoute, DecodesEachSegmentOnItsOwn) {
  Route r = match_route("/v2/models/my%20model/versions/1/infer");
  EXPECT_EQ(r.kind, RouteKind::kModelInfer);
  EXPECT_EQ(r.model, "my model");
  // An encoded slash stays inside the name instead of splitting the path.
  r = match_route("/v2/models/a%2Fb/ready");
  EXPECT_EQ(r.kind, RouteKind::kModelReady);
  EXPECT_EQ(r.model, "a/b");
  r = match_route("/v2/models/a+b");
  EXPECT_EQ(r.model, "a+b");
  // A model called "stats" is reachable through its version.
  r = match_route("/v2/models/stats/versions/1");
  EXPECT_EQ(r.kind, RouteKind::kModelMetadata);
  EXPECT_EQ(r.model, "stats");
}

TEST(HttpRoute, RejectsMalformedTargets) {
  for (const char* t : {"", "v2", "/", "/v1/models/x", "/v2/", "/v2//health/live", "/v2/models/x/",
                        "/v2/models/x/versions", "/v2/models/x/versions/1/infer/more", "/v2/models/x/predict",
                        "/v2/models/%zz/ready", "/v2/models/abc%2/ready", "/v2/models/a%00b",
                        "/v2/models/x/other/1/infer", "/v2/models/x/versions/1/2/3/4/5"}) {
    EXPECT_EQ(match_route(t).kind, RouteKind::kNotFound) << t;
  }
}

TEST(HttpRoute, QueryStringIsIgnored) {
  const Route r = match_route("/v2/models/m/infer?x=%zz&y=/z");
  EXPECT_EQ(r.kind, RouteKind::kModelInfer);
  EXPECT_EQ(r.model, "m");
}

TEST(HttpRoute, NamesTheMethodOfEachRoute) {
  EXPECT_STREQ(route_method(RouteKind::kModelInfer), "POST");
  EXPECT_STREQ(route_method(RouteKind::kModelClassify), "POST");
  EXPECT_STREQ(route_method(RouteKind::kRepositoryIndex), "POST");
  EXPECT_STREQ(route_method(RouteKind::kRepositoryLoad), "POST");
  EXPECT_STREQ(route_method(RouteKind::kRepositoryUnload), "POST");
  EXPECT_STREQ(route_method(RouteKind::kModelMetadata), "GET");
  EXPECT_STREQ(route_method(RouteKind::kHealthReady), "GET");
  EXPECT_STREQ(route_method(RouteKind::kAllModelStats), "GET");
}

TEST(HttpRoute, PercentDecodeSegment) {
  std::string out;
  EXPECT_TRUE(percent_decode_segment("a%41%6a", &out));
  EXPECT_EQ(out, "aAj");
  EXPECT_FALSE(percent_decode_segment("%4", &out));
  EXPECT_FALSE(percent_decode_segment("%", &out));
  EXPECT_FALSE(percent_decode_segment("%g1", &out));
  EXPECT_FALSE(percent_decode_segment("x%00", &out));
  EXPECT_TRUE(percent_decode_segment("caf%C3%A9", &out));
  EXPECT_EQ(out, "caf\xC3\xA9");
  EXPECT_FALSE(percent_decode_segment("caf%C3", &out));      // truncated sequence
  EXPECT_FALSE(percent_decode_segment("%C0%AF", &out));      // overlong '/'
  EXPECT_FALSE(percent_decode_segment("%ED%A0%80", &out));   // surrogate
  EXPECT_FALSE(percent_decode_segment("raw\xFF", &out));    // raw invalid byte
}

}  // namespace
}  // namespace fastserve::serve
