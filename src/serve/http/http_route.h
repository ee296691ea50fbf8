// Routing for the KServe v2 / Triton HTTP API: the request target
// ("/v2/models/resnet/versions/2/infer?x=y") split by '/' into a route kind
// plus the model name and version it names.
//
// cpp-httplib's own routes are one std::regex per pattern, tried in turn for
// every request; a split-and-compare is a fraction of that cost and is the
// only routing on the request path (http_frontend.cc registers one
// catch-all handler per method).
#pragma once

#include <string>
#include <string_view>

namespace fastserve::serve {

enum class RouteKind {
  kNotFound,
  kServerMetadata,    // GET  /v2
  kHealthLive,        // GET  /v2/health/live
  kHealthReady,       // GET  /v2/health/ready
  kModelMetadata,     // GET  /v2/models/{m}[/versions/{v}]
  kModelReady,        // GET  /v2/models/{m}[/versions/{v}]/ready
  kModelConfig,       // GET  /v2/models/{m}[/versions/{v}]/config
  kModelStats,        // GET  /v2/models/{m}[/versions/{v}]/stats
  kAllModelStats,     // GET  /v2/models/stats
  kModelInfer,        // POST /v2/models/{m}[/versions/{v}]/infer
  kModelClassify,     // POST /v2/models/{m}[/versions/{v}]/classify
  kRepositoryIndex,   // POST /v2/repository/index
  kRepositoryLoad,    // POST /v2/repository/models/{m}/load
  kRepositoryUnload,  // POST /v2/repository/models/{m}/unload
};

struct Route {
  RouteKind kind = RouteKind::kNotFound;
  std::string model;    // percent-decoded; "" when the route names none
  std::string version;  // percent-decoded; "" = not given
};

// Parses a request target (path, optionally followed by "?query"). Each
// segment is percent-decoded on its own, so "%2F" inside a model name does
// not split it. Empty segments (a doubled or trailing '/') and malformed
// escapes give kNotFound. "/v2/models/stats" is the all-models statistics
// route, as in Triton (a model named "stats" is reachable only through
// /v2/models/stats/versions/{v}).
Route match_route(std::string_view target);

// The method a route answers ("GET" or "POST"). HEAD counts as GET.
const char* route_method(RouteKind kind);

// Percent-decodes one path segment ('+' stays '+', as in paths); false on a
// malformed escape, a decoded NUL, or a result that is not valid UTF-8.
bool percent_decode_segment(std::string_view in, std::string* out);

}  // namespace fastserve::serve
