// Request target -> Route by splitting on '/' (see http_route.h).
#include "serve/http/http_route.h"

#include <array>

#include "serve/http/utf8.h"

namespace fastserve::serve {

namespace {

constexpr size_t kMaxSegments = 7;  // v2 models m versions v action

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// A model action segment (the last one of /v2/models/{m}[/versions/{v}]/<action>).
RouteKind model_action(std::string_view action) {
  if (action == "ready") return RouteKind::kModelReady;
  if (action == "infer") return RouteKind::kModelInfer;
  if (action == "config") return RouteKind::kModelConfig;
  if (action == "stats") return RouteKind::kModelStats;
  if (action == "classify") return RouteKind::kModelClassify;
  return RouteKind::kNotFound;
}

Route named(RouteKind kind, std::string_view model, std::string_view version) {
  Route r;
  if (kind == RouteKind::kNotFound) return r;
  if (!percent_decode_segment(model, &r.model) || !percent_decode_segment(version, &r.version)) return Route{};
  r.kind = kind;
  return r;
}

}  // namespace

bool percent_decode_segment(std::string_view in, std::string* out) {
  out->clear();
  if (in.find('%') == std::string_view::npos) {
    out->assign(in);
    return is_valid_utf8(*out);
  }
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out->push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    const char c = static_cast<char>(hi * 16 + lo);
    if (c == '\0') return false;
    out->push_back(c);
    i += 2;
  }
  // Names end up in JSON answers and logs, which must be UTF-8.
  return is_valid_utf8(*out);
}

Route match_route(std::string_view target) {
  const size_t query = target.find('?');
  std::string_view path = target.substr(0, query);
  if (path.empty() || path[0] != '/') return Route{};
  path.remove_prefix(1);

  std::array<std::string_view, kMaxSegments> seg;
  size_t n = 0;
  while (true) {
    const size_t slash = path.find('/');
    std::string_view s = path.substr(0, slash);
    if (s.empty() || n == kMaxSegments) return Route{};
    seg[n++] = s;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  if (seg[0] != "v2") return Route{};
  if (n == 1) return Route{RouteKind::kServerMetadata, {}, {}};

  if (seg[1] == "health") {
    if (n != 3) return Route{};
    if (seg[2] == "live") return Route{RouteKind::kHealthLive, {}, {}};
    if (seg[2] == "ready") return Route{RouteKind::kHealthReady, {}, {}};
    return Route{};
  }

  if (seg[1] == "repository") {
    if (n == 3 && seg[2] == "index") return Route{RouteKind::kRepositoryIndex, {}, {}};
    if (n == 5 && seg[2] == "models") {
      if (seg[4] == "load") return named(RouteKind::kRepositoryLoad, seg[3], {});
      if (seg[4] == "unload") return named(RouteKind::kRepositoryUnload, seg[3], {});
    }
    return Route{};
  }

  if (seg[1] != "models" || n < 3) return Route{};
  switch (n) {
    case 3:
      if (seg[2] == "stats") return Route{RouteKind::kAllModelStats, {}, {}};
      return named(RouteKind::kModelMetadata, seg[2], {});
    case 4:
      return named(model_action(seg[3]), seg[2], {});
    case 5:
      if (seg[3] != "versions") return Route{};
      return named(RouteKind::kModelMetadata, seg[2], seg[4]);
    case 6:
      if (seg[3] != "versions") return Route{};
      return named(model_action(seg[5]), seg[2], seg[4]);
    default:
      return Route{};
  }
}

const char* route_method(RouteKind kind) {
  switch (kind) {
    case RouteKind::kModelInfer:
    case RouteKind::kModelClassify:
    case RouteKind::kRepositoryIndex:
    case RouteKind::kRepositoryLoad:
    case RouteKind::kRepositoryUnload:
      return "POST";
    default:
      return "GET";
  }
}

}  // namespace fastserve::serve
