// cpp-httplib server lifecycle: configuration, bind, background accept loop,
// and a stop that does not wait for idle keep-alive connections.
#include "serve/http/http_listener.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>

namespace fastserve::serve {

namespace {

// Keep-alive without a practical limit (cpp-httplib's default closes a
// connection after 5 requests, which costs a TCP handshake every 5 calls).
constexpr size_t kKeepAliveMaxRequests = 1'000'000'000;

bool readable_file(const std::string& path) {
  std::ifstream f(path);
  return f.good();
}

std::string host_port(const std::string& host, int port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

Result<std::unique_ptr<HttpListener>> HttpListener::create(const ListenerOptions& options) {
  std::unique_ptr<httplib::Server> server;
  if (options.tls_cert.empty() != options.tls_key.empty())
    return invalid_argument(options.what + ": HTTPS needs both a TLS certificate and a key file");
  if (!options.tls_cert.empty()) {
    if (!readable_file(options.tls_cert)) return not_found(options.what + ": cannot read TLS certificate " + options.tls_cert);
    if (!readable_file(options.tls_key)) return not_found(options.what + ": cannot read TLS key " + options.tls_key);
    auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
    if (!tls->is_valid())
      return invalid_argument(options.what + ": cannot use TLS certificate " + options.tls_cert + " with key " +
                              options.tls_key + " (not PEM, or the key does not match)");
    server = std::move(tls);
  } else {
    server = std::make_unique<httplib::Server>();
  }

  int threads = options.threads;
  // One worker per open connection (cpp-httplib's model): enough that clients
  // with a connection each (perf_analyzer, a load balancer's pool) do not wait.
  if (threads <= 0) threads = std::max(64, 8 * static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  // cpp-httplib's API: the factory returns a raw pointer the server owns and
  // deletes (the only raw new here, required by that interface).
  server->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<size_t>(threads)); };
  server->set_keep_alive_max_count(kKeepAliveMaxRequests);
  server->set_keep_alive_timeout(kKeepAliveSeconds);
  // Headers and body go out in separate writes; without TCP_NODELAY the
  // second waits for the client's delayed ACK (~40 ms).
  server->set_tcp_nodelay(true);
  server->set_payload_max_length(options.max_request_bytes);
  // cpp-httplib's default socket options add SO_REUSEPORT, with which a
  // second server binds a port already in use and silently shares it. Keep
  // SO_REUSEADDR only (a restart may bind while old connections linger).
  server->set_socket_options([](socket_t sock) {
    int yes = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  });
  return std::unique_ptr<HttpListener>(new HttpListener(options, std::move(server)));
}

HttpListener::HttpListener(ListenerOptions options, std::unique_ptr<httplib::Server> server)
    : options_(std::move(options)), server_(std::move(server)) {}

HttpListener::~HttpListener() { stop(); }

Status HttpListener::start() {
  errno = 0;
  int port = -1;
  if (options_.port == 0) {
    port = server_->bind_to_any_port(options_.host);
  } else if (server_->bind_to_port(options_.host, options_.port)) {
    port = options_.port;
  }
  if (port <= 0) {
    const int err = errno;
    return Status(StatusCode::kUnavailable, options_.what + ": cannot listen on " + host_port(options_.host, options_.port) +
                                                ": " + (err != 0 ? std::string(std::strerror(err)) : std::string("cannot resolve or bind that address")));
  }
  port_ = port;
  thread_ = std::thread([this] {
    server_->listen_after_bind();
    accept_loop_done_ = true;
  });
  // stop() is a no-op until the accept loop has marked itself running, so
  // wait for that here: a stop() right after start() must not be lost.
  while (!server_->is_running() && !accept_loop_done_) std::this_thread::sleep_for(std::chrono::microseconds(100));
  if (accept_loop_done_ && !server_->is_running()) {
    thread_.join();
    return Status(StatusCode::kUnavailable, options_.what + ": the server on " + host_port(options_.host, port_) +
                                                " stopped as it started");
  }
  return ok_status();
}

void HttpListener::stop(const std::function<void()>& before_disconnect) {
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  if (!thread_.joinable()) return;
  server_->stop();
  // Shutting down a connection's read side makes cpp-httplib see a closed
  // peer and drop an answer it has not written yet: let those finish first.
  if (before_disconnect) before_disconnect();
  // The accept loop exits at once, then joins its workers; a worker waiting
  // for the next request of a keep-alive connection would hold that join
  // for up to kKeepAliveSeconds. Shutting down the read side of the open
  // connections ends those waits and lets a request in progress answer.
  // Workers stop picking new requests as soon as the server socket is closed.
  shutdown_open_connections();
  thread_.join();
}

void HttpListener::shutdown_open_connections() const {
  // cpp-httplib gives no handle on its connections; the accepted sockets are
  // the ones whose local port is the server's port.
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return;
  const int dir_fd = dirfd(dir);
  while (dirent* entry = readdir(dir)) {
    char* end = nullptr;
    const long fd = std::strtol(entry->d_name, &end, 10);
    if (end == entry->d_name || *end != '\0' || fd == dir_fd) continue;
    struct stat st;
    if (fstat(static_cast<int>(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    sockaddr_storage local{};
    socklen_t len = sizeof local;
    if (getsockname(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&local), &len) != 0) continue;
    int local_port = -1;
    if (local.ss_family == AF_INET) local_port = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    if (local.ss_family == AF_INET6) local_port = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    if (local_port != port_) continue;
    sockaddr_storage peer{};
    socklen_t peer_len = sizeof peer;
    if (getpeername(static_cast<int>(fd), reinterpret_cast<sockaddr*>(&peer), &peer_len) != 0) continue;
    ::shutdown(static_cast<int>(fd), SHUT_RD);
  }
  closedir(dir);
}

}  // namespace fastserve::serve
