// API keys from --api-key-file and their token-bucket rate limits.
// The key map is built once and only read afterwards, so check() needs no
// lock of its own; each bucket carries its own mutex.
#include "serve/auth.h"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>
#include <vector>

namespace fastserve::serve {

namespace {

// Tokens are doubles: rate * elapsed rarely lands exactly on 1.0, and a
// client that waited the advertised retry time must get its token.
constexpr double kTokenEpsilon = 1e-9;

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// The key of "Bearer <key>" (scheme case-insensitive, RFC 7235), or "".
std::string_view bearer_token(std::string_view authorization) {
  std::string_view s = trim(authorization);
  size_t sp = s.find_first_of(" \t");
  if (sp == std::string_view::npos) return {};
  if (!iequals(s.substr(0, sp), "bearer")) return {};
  return trim(s.substr(sp + 1));
}

std::vector<std::string_view> split_tokens(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && is_space(line[i])) ++i;
    size_t start = i;
    while (i < line.size() && !is_space(line[i])) ++i;
    if (i > start) out.push_back(line.substr(start, i - start));
  }
  return out;
}

Result<double> parse_number(std::string_view text, const std::string& at, const char* what) {
  std::string t(text);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size() || errno == ERANGE || !std::isfinite(v) || v < 0)
    return invalid_argument(at + ": " + what + "=" + t + " is not a non-negative number");
  return v;
}

}  // namespace

TokenBucket::TokenBucket(double rate_per_s, double burst)
    : rate_(rate_per_s), burst_(burst), tokens_(burst), last_() {}

bool TokenBucket::try_take(std::chrono::steady_clock::time_point now, double* retry_after_s) {
  std::lock_guard<std::mutex> lock(mu_);
  // last_ starts at the clock's epoch: the first refill only tops up a full bucket.
  if (now > last_) {
    double elapsed = std::chrono::duration<double>(now - last_).count();
    tokens_ = std::min(burst_, tokens_ + elapsed * rate_);
    last_ = now;
  }
  if (tokens_ >= 1.0 - kTokenEpsilon) {
    tokens_ = std::max(0.0, tokens_ - 1.0);
    return true;
  }
  if (retry_after_s != nullptr)
    *retry_after_s = rate_ > 0 ? (1.0 - tokens_) / rate_ : std::numeric_limits<double>::infinity();
  return false;
}

Result<std::unique_ptr<Authenticator>> Authenticator::from_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open the API key file: " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return invalid_argument(path + ": read failed");
  return from_text(text.str(), path);
}

Result<std::unique_ptr<Authenticator>> Authenticator::from_text(std::string_view text, const std::string& where) {
  auto auth = std::make_unique<Authenticator>();
  std::unordered_map<std::string, int> key_lines;
  int line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++line_no;
    const std::string at = where + ":" + std::to_string(line_no);

    // A token starting with '#' opens a comment; '#' inside a key is kept.
    std::vector<std::string_view> tokens = split_tokens(line);
    auto comment = std::find_if(tokens.begin(), tokens.end(), [](std::string_view t) { return t[0] == '#'; });
    tokens.erase(comment, tokens.end());
    if (tokens.empty()) continue;

    std::string key(tokens[0]);
    for (char c : key)
      if (static_cast<unsigned char>(c) < 0x21 || static_cast<unsigned char>(c) > 0x7e)
        return invalid_argument(at + ": the key has a byte outside printable ASCII");
    if (auto it = key_lines.find(key); it != key_lines.end())
      return invalid_argument(at + ": duplicate key (first on line " + std::to_string(it->second) + ")");

    std::string name;
    double rate = 0, burst = 0;
    bool have_name = false, have_rate = false, have_burst = false;
    for (size_t i = 1; i < tokens.size(); ++i) {
      std::string_view t = tokens[i];
      size_t eq = t.find('=');
      std::string_view attr = eq == std::string_view::npos ? t : t.substr(0, eq);
      std::string_view value = eq == std::string_view::npos ? std::string_view() : t.substr(eq + 1);
      if (eq == std::string_view::npos || (attr != "name" && attr != "rate" && attr != "burst"))
        return invalid_argument(at + ": unexpected '" + std::string(t) + "' (expected name=, rate= or burst=)");
      bool& seen = attr == "name" ? have_name : attr == "rate" ? have_rate : have_burst;
      if (seen) return invalid_argument(at + ": " + std::string(attr) + "= given twice");
      seen = true;
      if (attr == "name") {
        if (value.empty()) return invalid_argument(at + ": name= is empty");
        name = std::string(value);
      } else if (attr == "rate") {
        FS_ASSIGN_OR_RETURN(rate, parse_number(value, at, "rate"));
      } else {
        FS_ASSIGN_OR_RETURN(burst, parse_number(value, at, "burst"));
        if (burst < 1) return invalid_argument(at + ": burst=" + std::string(value) + " must be at least 1");
      }
    }
    // A burst without a rate limits nothing: say so rather than ignore it.
    if (have_burst && rate == 0) return invalid_argument(at + ": burst= needs rate= above 0");

    Key k;
    k.name = have_name ? name : "key" + std::to_string(key_lines.size() + 1);
    if (rate > 0) k.bucket = std::make_unique<TokenBucket>(rate, have_burst ? burst : std::max(1.0, rate));
    key_lines.emplace(key, line_no);
    auth->keys_.emplace(std::move(key), std::move(k));
  }
  if (auth->keys_.empty())
    return invalid_argument(where + ": the API key file holds no keys (that would refuse every client)");
  return auth;
}

AuthDecision Authenticator::check(std::string_view authorization, std::string_view api_key) {
  AuthDecision d;
  // Either header may carry the key; a bearer token meant for something else
  // (a proxy in front of us) must not hide a valid X-API-Key.
  Key* key = nullptr;
  for (std::string_view candidate : {bearer_token(authorization), trim(api_key)}) {
    if (candidate.empty()) continue;
    auto it = keys_.find(std::string(candidate));
    if (it != keys_.end()) {
      key = &it->second;
      break;
    }
  }
  if (key == nullptr) {
    d.outcome = AuthDecision::Outcome::kUnauthenticated;
    return d;
  }
  d.key_name = key->name;
  if (key->bucket && !key->bucket->try_take(std::chrono::steady_clock::now(), &d.retry_after_s)) {
    d.outcome = AuthDecision::Outcome::kRateLimited;
  }
  return d;
}

}  // namespace fastserve::serve
