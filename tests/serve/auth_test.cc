// API keys: the key-file format and its errors, the token bucket driven by
// explicit time points, and where a request may carry its key.
#include "serve/auth.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>

namespace fastserve::serve {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;
using Outcome = AuthDecision::Outcome;

std::unique_ptr<Authenticator> make(const std::string& text) {
  auto r = Authenticator::from_text(text, "keys.txt");
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? std::move(r).value() : nullptr;
}

TEST(TokenBucket, StartsFullAndRefillsAtItsRate) {
  TokenBucket b(2.0, 3.0);  // 2 tokens per second, at most 3
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  double retry = -1;
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_take(t0, &retry)) << i;
  EXPECT_FALSE(b.try_take(t0, &retry));
  EXPECT_DOUBLE_EQ(retry, 0.5);  // one token takes 1/rate seconds
  EXPECT_FALSE(b.try_take(t0 + milliseconds(250), &retry));
  EXPECT_NEAR(retry, 0.25, 1e-9);
  EXPECT_TRUE(b.try_take(t0 + milliseconds(500), &retry));
  EXPECT_FALSE(b.try_take(t0 + milliseconds(500), &retry));
  // A long idle spell refills only up to the burst.
  const Clock::time_point later = t0 + std::chrono::seconds(60);
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(b.try_take(later, &retry)) << i;
  EXPECT_FALSE(b.try_take(later, &retry));
}

TEST(TokenBucket, TimeGoingBackwardsAddsNothing) {
  TokenBucket b(1.0, 1.0);
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  double retry = 0;
  EXPECT_TRUE(b.try_take(t0, &retry));
  EXPECT_FALSE(b.try_take(t0 - std::chrono::seconds(10), &retry));
  EXPECT_TRUE(b.try_take(t0 + std::chrono::seconds(1), &retry));
}

TEST(TokenBucket, FractionalRateAfterAdvertisedWaitGrantsAToken) {
  TokenBucket b(10.0, 1.0);
  const Clock::time_point t0 = Clock::time_point() + std::chrono::hours(1);
  double retry = 0;
  EXPECT_TRUE(b.try_take(t0, &retry));
  EXPECT_FALSE(b.try_take(t0 + milliseconds(30), &retry));
  EXPECT_NEAR(retry, 0.07, 1e-9);
  EXPECT_TRUE(b.try_take(t0 + milliseconds(100), &retry));  // 0.1 s * 10/s: not 0.9999...
}

TEST(Authenticator, ParsesKeyFile) {
  auto a = make(R"(# production keys
alpha-key name=frontend rate=5 burst=10
beta==    name=batch   # base64 padding stays in the key
  gamma#1               # '#' inside a key is part of it

delta rate=0.5
)");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->size(), 4u);
  EXPECT_EQ(a->check("Bearer alpha-key", "").key_name, "frontend");
  EXPECT_EQ(a->check("", "beta==").key_name, "batch");
  AuthDecision g = a->check("", "gamma#1");
  EXPECT_EQ(g.outcome, Outcome::kAllowed);
  EXPECT_EQ(g.key_name, "key3");  // unnamed keys are numbered in file order
  EXPECT_EQ(a->check("", "gamma").outcome, Outcome::kUnauthenticated);
}

TEST(Authenticator, KeyFileErrorsNameFileAndLine) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"a\nb\na", "keys.txt:3: duplicate key (first on line 1)"},
      {"a rate=fast", "keys.txt:1: rate=fast is not a non-negative number"},
      {"a rate=-1", "keys.txt:1: rate=-1 is not a non-negative number"},
      {"# c\na color=red", "keys.txt:2: unexpected 'color=red'"},
      {"a name", "keys.txt:1: unexpected 'name'"},
      {"a name=x name=y", "keys.txt:1: name= given twice"},
      {"a name=", "keys.txt:1: name= is empty"},
      {"a\n\nb rate=2 burst=0.5", "keys.txt:3: burst=0.5 must be at least 1"},
      {"a burst=4", "keys.txt:1: burst= needs rate= above 0"},
      {"a\x01z", "keys.txt:1: the key has a byte outside printable ASCII"},
      {"", "keys.txt: the API key file holds no keys"},
      {"# only comments\n\n   \n", "keys.txt: the API key file holds no keys"},
  };
  for (const Case& c : cases) {
    auto r = Authenticator::from_text(c.text, "keys.txt");
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message().rfind(c.expected, 0), 0u) << r.status().message();
  }
}

TEST(Authenticator, ReadsFromFile) {
  const std::string path = ::testing::TempDir() + "fastserve_auth_test_keys.txt";
  {
    std::ofstream out(path);
    out << "k1 name=one\r\nk2 name=two rate=1\r\n";  // CRLF files work too
  }
  auto r = Authenticator::from_file(path);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r.value()->size(), 2u);
  EXPECT_EQ(r.value()->check("", "k2").key_name, "two");
  std::remove(path.c_str());
  auto missing = Authenticator::from_file(path);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message().rfind(path + ":", 0), 0u);
}

TEST(Authenticator, AcceptsBearerOrApiKeyHeader) {
  auto a = make("secret name=s\n");
  ASSERT_NE(a, nullptr);
  for (const char* header : {"Bearer secret", "bearer secret", "BEARER   secret  ", "  Bearer\tsecret"})
    EXPECT_EQ(a->check(header, "").outcome, Outcome::kAllowed) << header;
  EXPECT_EQ(a->check("", "secret").outcome, Outcome::kAllowed);
  EXPECT_EQ(a->check("", " secret ").outcome, Outcome::kAllowed);
  // A bearer token for something else does not hide a valid X-API-Key.
  EXPECT_EQ(a->check("Bearer proxy-token", "secret").outcome, Outcome::kAllowed);
  EXPECT_EQ(a->check("Basic c2VjcmV0", "secret").outcome, Outcome::kAllowed);
  for (const char* header : {"secret", "Basic secret", "Bearer", "Bearer ", "Bearersecret", "Bearer secret2",
                             "Bearer Secret"})
    EXPECT_EQ(a->check(header, "").outcome, Outcome::kUnauthenticated) << header;
  AuthDecision none = a->check("", "");
  EXPECT_EQ(none.outcome, Outcome::kUnauthenticated);
  EXPECT_EQ(none.key_name, "");
}

TEST(Authenticator, RateLimitsPerKey) {
  // rate=1 with the default burst max(1, rate) = 1: a second request right
  // after the first is refused with a wait of at most a second. The other
  // key is unlimited and unaffected.
  auto a = make("limited name=l rate=1\nfree name=f\n");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->check("Bearer limited", "").outcome, Outcome::kAllowed);
  AuthDecision d = a->check("Bearer limited", "");
  EXPECT_EQ(d.outcome, Outcome::kRateLimited);
  EXPECT_EQ(d.key_name, "l");
  EXPECT_GT(d.retry_after_s, 0.0);
  EXPECT_LE(d.retry_after_s, 1.0);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(a->check("", "free").outcome, Outcome::kAllowed);
}

}  // namespace
}  // namespace fastserve::serve
