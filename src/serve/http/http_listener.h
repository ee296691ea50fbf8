// One cpp-httplib server (plain or TLS) serving on a background thread, set
// up the way both front ends need it: keep-alive without a request limit,
// TCP_NODELAY, a sized worker pool, a body size limit, and a bound socket
// before start() returns. Internal to src/serve/http.
#pragma once

// The Debian library is built with these; the header must see the same
// definitions or Request / Server change layout between us and it.
#ifndef CPPHTTPLIB_OPENSSL_SUPPORT
#define CPPHTTPLIB_OPENSSL_SUPPORT
#endif
#ifndef CPPHTTPLIB_ZLIB_SUPPORT
#define CPPHTTPLIB_ZLIB_SUPPORT
#endif
#ifndef CPPHTTPLIB_BROTLI_SUPPORT
#define CPPHTTPLIB_BROTLI_SUPPORT
#endif
#include <httplib.h>

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "fastserve/status.h"

namespace fastserve::serve {

struct ListenerOptions {
  std::string what = "HTTP";  // names the server in errors ("HTTP", "metrics")
  std::string host = "0.0.0.0";
  int port = 0;               // 0 = any free port
  int threads = 0;            // 0 = max(64, 8 * cores)
  size_t max_request_bytes = size_t{64} << 20;
  std::string tls_cert, tls_key;
};

// Connections stay open this long between requests.
inline constexpr int kKeepAliveSeconds = 60;

class HttpListener {
 public:
  // Builds the server (not yet listening): register handlers on server(),
  // then start(). Errors: TLS files missing or unreadable, one without the other.
  static Result<std::unique_ptr<HttpListener>> create(const ListenerOptions& options);
  ~HttpListener();  // stop()
  HttpListener(const HttpListener&) = delete;
  HttpListener& operator=(const HttpListener&) = delete;

  httplib::Server& server() { return *server_; }

  // Binds and starts serving; returns once the accept loop runs. The error
  // names host:port and the reason.
  Status start();
  int port() const { return port_; }
  // Stops accepting, runs `before_disconnect` (if any: the front end waits
  // there for answers still being written), wakes connections idling in
  // keep-alive, joins every worker. Idempotent; safe before start().
  void stop(const std::function<void()>& before_disconnect = {});

 private:
  explicit HttpListener(ListenerOptions options, std::unique_ptr<httplib::Server> server);
  // Shuts down this process's sockets accepted on port_ (see .cc: why).
  void shutdown_open_connections() const;

  ListenerOptions options_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::atomic<bool> accept_loop_done_{false};
  int port_ = -1;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace fastserve::serve
