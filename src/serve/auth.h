// Optional API keys with per-key token-bucket rate limits (--api-key-file),
// shared by the HTTP and gRPC front ends.
//
// Key file: one key per line, `#` starts a comment:
//   <key> [name=<label>] [rate=<requests per second>] [burst=<requests>]
// rate 0 or absent = unlimited; burst defaults to max(1, rate).
// Clients send `Authorization: Bearer <key>` or `X-API-Key: <key>` (HTTP
// headers; gRPC metadata `authorization` / `x-api-key`).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "fastserve/status.h"

namespace fastserve::serve {

class TokenBucket {
 public:
  TokenBucket(double rate_per_s, double burst);
  // Takes one token if there is one at `now`; else returns false and sets
  // *retry_after_s to the wait until the next token.
  bool try_take(std::chrono::steady_clock::time_point now, double* retry_after_s);
 private:
  std::mutex mu_;
  double rate_, burst_, tokens_;
  std::chrono::steady_clock::time_point last_;
};

struct AuthDecision {
  enum class Outcome { kAllowed, kUnauthenticated, kRateLimited };
  Outcome outcome = Outcome::kAllowed;
  double retry_after_s = 0;  // kRateLimited
  std::string key_name;      // the key's name= label ("" when auth is off)
};

class Authenticator {
 public:
  // Reads the key file; errors name the file and line.
  static Result<std::unique_ptr<Authenticator>> from_file(const std::string& path);
  // Builds from file-format text (tests).
  static Result<std::unique_ptr<Authenticator>> from_text(std::string_view text, const std::string& where);

  // `authorization` is the Authorization header value ("Bearer <key>"), or
  // "" when absent; `api_key` the X-API-Key value or "". Either may carry the key.
  AuthDecision check(std::string_view authorization, std::string_view api_key);
  size_t size() const { return keys_.size(); }

 private:
  struct Key {
    std::string name;
    std::unique_ptr<TokenBucket> bucket;  // null = unlimited
  };
  std::unordered_map<std::string, Key> keys_;
};

}  // namespace fastserve::serve
