// `bench --server` (see bench_server.h): URL and Server-Timing parsing, the
// open-loop schedule, and the load loop that drives the client threads
// through a BenchTransport (bench_server_transport.h). Inputs and request
// bodies: bench_server_inputs.cc.
#include "cli/bench_server.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <charconv>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include "cli/bench_server_transport.h"

namespace fastserve::cli {
namespace {

using Clock = std::chrono::steady_clock;

// Fixed seed: for a given rate, every run has the same schedule.
constexpr uint64_t kScheduleSeed = 0x5eed'0000'0420ULL;
constexpr auto kProgressInterval = std::chrono::milliseconds(100);

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool is_host_name_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '_';
}

bool is_ipv6_char(char c) { return std::isxdigit(static_cast<unsigned char>(c)) != 0 || c == ':' || c == '.'; }

// Position of the first `sep` outside a quoted string at or after `from`, or s.size().
size_t find_unquoted(std::string_view s, char sep, size_t from) {
  bool quoted = false;
  for (size_t i = from; i < s.size(); ++i) {
    const char c = s[i];
    if (quoted) {
      if (c == '\\') {
        ++i;  // quoted-pair: the next char is literal
      } else if (c == '"') {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == sep) {
      return i;
    }
  }
  return s.size();
}

// "dur" value of one Server-Timing metric's params: a token or a quoted string.
double parse_duration(std::string_view text) {
  text = trim(text);
  if (text.size() >= 2 && text.front() == '"' && text.back() == '"') text = text.substr(1, text.size() - 2);
  double v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v) || v < 0)
    return std::numeric_limits<double>::quiet_NaN();
  return v;
}

void parse_timing_metric(std::string_view metric, ServerTiming& out) {
  size_t semi = find_unquoted(metric, ';', 0);
  const std::string_view name = trim(metric.substr(0, semi));
  double* field = iequals(name, "queue")     ? &out.queue_ms
                  : iequals(name, "compute") ? &out.compute_ms
                  : iequals(name, "total")   ? &out.total_ms
                                             : nullptr;
  if (field == nullptr || !std::isnan(*field)) return;  // unknown, or a repeat: the first one stands
  while (semi < metric.size()) {
    const size_t next = find_unquoted(metric, ';', semi + 1);
    const std::string_view param = metric.substr(semi + 1, next - semi - 1);
    const size_t eq = param.find('=');
    if (eq != std::string_view::npos && iequals(trim(param.substr(0, eq)), "dur")) {
      *field = parse_duration(param.substr(eq + 1));
      return;
    }
    semi = next;
  }
}

// --- the load loop -----------------------------------------------------------

double ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

struct RunWindow {
  Clock::time_point start;          // warm-up begins
  Clock::time_point measure_start;  // warm-up ends
  Clock::time_point end;            // no request is sent from here on
};

struct Sample {
  double client_ms = 0;   // answer - send (closed) or answer - scheduled send (open)
  double service_ms = 0;  // answer - actual send
  ServerTiming timing;
};

// What one client thread saw; merged after the run, so the threads share nothing.
struct ClientLog {
  std::vector<Sample> samples;
  std::vector<double> lag_ms;  // open loop
  int64_t counted = 0;
  std::map<std::string, int64_t> failures;
  std::map<std::string, std::string> first_failure;
  Clock::time_point last_answer{};

  void record(const CallOutcome& o, Clock::time_point due, Clock::time_point sent, Clock::time_point done) {
    ++counted;
    last_answer = std::max(last_answer, done);
    if (!o.ok) {
      ++failures[o.reason];
      first_failure.emplace(o.reason, o.message);
      return;
    }
    samples.push_back(Sample{ms_between(due, done), ms_between(sent, done), o.timing});
  }
};

// The open loop's send times, shared by the client threads in order.
class SharedSchedule {
 public:
  SharedSchedule(double rate, const RunWindow& w) : schedule_(rate, kScheduleSeed), window_(w) {
    next_ = w.start + seconds(schedule_.next());
  }
  // The next send time, or nothing once the run is over (the next time, or
  // the present, is past the end).
  std::optional<Clock::time_point> take() {
    std::lock_guard<std::mutex> lock(mu_);
    const Clock::time_point now = Clock::now();
    // Warm-up sends still due once the measured window has begun are dropped:
    // they would not be counted, and sending them would delay the counted ones.
    while (now >= window_.measure_start && next_ < window_.measure_start) advance();
    if (next_ >= window_.end || now >= window_.end) return std::nullopt;
    const Clock::time_point due = next_;
    advance();
    return due;
  }
  // After the run: send times inside the measured window that no client took.
  int64_t untaken_in_window() {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t n = 0;
    for (; next_ < window_.end; advance()) {
      if (next_ >= window_.measure_start) ++n;
    }
    return n;
  }

 private:
  void advance() { next_ = window_.start + seconds(schedule_.next()); }

  std::mutex mu_;
  ArrivalSchedule schedule_;
  RunWindow window_;
  Clock::time_point next_;
};

void closed_loop_client(BenchClient& client, const RunWindow& w, ClientLog& log, std::atomic<int64_t>& answers) {
  for (;;) {
    const Clock::time_point sent = Clock::now();
    if (sent >= w.end) return;
    const CallOutcome o = client.infer();
    const Clock::time_point done = Clock::now();
    answers.fetch_add(1, std::memory_order_relaxed);
    if (sent >= w.measure_start) log.record(o, sent, sent, done);
  }
}

void open_loop_client(BenchClient& client, const RunWindow& w, SharedSchedule& schedule, ClientLog& log,
                      std::atomic<int64_t>& answers) {
  while (std::optional<Clock::time_point> due = schedule.take()) {
    std::this_thread::sleep_until(*due);
    const Clock::time_point sent = Clock::now();
    const CallOutcome o = client.infer();
    const Clock::time_point done = Clock::now();
    answers.fetch_add(1, std::memory_order_relaxed);
    if (*due < w.measure_start) continue;
    log.record(o, *due, sent, done);
    log.lag_ms.push_back(ms_between(*due, sent));
  }
}

void summarize_run(std::vector<ClientLog>& logs, const RunWindow& w, ServerBenchReport& r) {
  std::vector<double> client, queue, compute, total, server_overhead, client_overhead, lag;
  Clock::time_point last = w.end;
  for (ClientLog& log : logs) {
    r.requests += log.counted;
    for (const auto& [reason, n] : log.failures) r.failures[reason] += n;
    for (const auto& [reason, msg] : log.first_failure) r.first_failure.emplace(reason, msg);
    if (log.counted > 0) last = std::max(last, log.last_answer);
    lag.insert(lag.end(), log.lag_ms.begin(), log.lag_ms.end());
    for (const Sample& s : log.samples) {
      client.push_back(s.client_ms);
      const ServerTiming& t = s.timing;
      if (!std::isnan(t.queue_ms)) queue.push_back(t.queue_ms);
      if (!std::isnan(t.compute_ms)) compute.push_back(t.compute_ms);
      if (std::isnan(t.total_ms)) continue;
      total.push_back(t.total_ms);
      client_overhead.push_back(s.service_ms - t.total_ms);
      if (!std::isnan(t.compute_ms)) server_overhead.push_back(t.total_ms - t.compute_ms);
    }
  }
  r.successes = static_cast<int64_t>(client.size());
  r.measured_s = ms_between(w.measure_start, last) / 1000.0;
  r.requests_per_s = r.measured_s > 0 ? static_cast<double>(r.successes) / r.measured_s : 0.0;
  r.items_per_s = r.requests_per_s * static_cast<double>(r.items_per_request);
  r.latency_ms = summarize_latencies(client);
  r.timed = static_cast<int64_t>(total.size());
  r.queue_ms = summarize_latencies(queue);
  r.compute_ms = summarize_latencies(compute);
  r.server_total_ms = summarize_latencies(total);
  r.server_overhead_p50_ms = percentile(server_overhead, 50);
  r.client_overhead_p50_ms = percentile(client_overhead, 50);
  r.send_lag_ms = summarize_latencies(lag);
}

}  // namespace

// --- URLs --------------------------------------------------------------------

std::string ServerUrl::http_origin() const { return fmt::format("{}://{}", tls ? "https" : "http", authority()); }

std::string ServerUrl::authority() const {
  if (host.find(':') != std::string::npos) return fmt::format("[{}]:{}", host, port);
  return fmt::format("{}:{}", host, port);
}

Result<ServerUrl> parse_server_url(std::string_view url, bool grpc) {
  auto bad = [&](std::string_view why) { return invalid_argument(fmt::format("--server '{}': {}", url, why)); };
  ServerUrl out;
  std::string_view rest = url;
  int default_port = 0;
  const size_t sep = rest.find("://");
  if (sep != std::string_view::npos) {
    const std::string_view scheme = rest.substr(0, sep);
    rest.remove_prefix(sep + 3);
    if (grpc && (iequals(scheme, "grpc") || iequals(scheme, "http"))) {
      out.tls = false;
    } else if (grpc && (iequals(scheme, "grpcs") || iequals(scheme, "https"))) {
      out.tls = true;
    } else if (!grpc && iequals(scheme, "http")) {
      default_port = 80;
    } else if (!grpc && iequals(scheme, "https")) {
      out.tls = true;
      default_port = 443;
    } else {
      return bad(grpc ? fmt::format("scheme '{}' is not one of grpc, grpcs (or plain host:port)", scheme)
                      : fmt::format("scheme '{}' is not one of http, https (--grpc for gRPC)", scheme));
    }
  }
  const size_t tail = rest.find_first_of("/?#");
  if (tail != std::string_view::npos) {
    if (rest.substr(tail) != "/") return bad("a path, query or fragment is not supported (give scheme://host:port)");
    rest = rest.substr(0, tail);
  }
  if (rest.find('@') != std::string_view::npos) return bad("user info is not supported (use --api-key)");
  std::string_view host, port_text;
  bool has_port = false;
  if (!rest.empty() && rest.front() == '[') {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("'[' without ']'");
    host = rest.substr(1, close - 1);
    const std::string_view after = rest.substr(close + 1);
    if (!after.empty() && after.front() != ':') return bad("expected ':port' after ']'");
    has_port = !after.empty();
    if (has_port) port_text = after.substr(1);
    if (host.empty() || !std::all_of(host.begin(), host.end(), is_ipv6_char)) return bad("bad IPv6 address");
  } else {
    const size_t colon = rest.find(':');
    if (colon != std::string_view::npos && rest.find(':', colon + 1) != std::string_view::npos)
      return bad("IPv6 addresses go in brackets, e.g. [::1]:8000");
    host = rest.substr(0, colon);
    has_port = colon != std::string_view::npos;
    if (has_port) port_text = rest.substr(colon + 1);
    if (host.empty()) return bad("no host");
    if (!std::all_of(host.begin(), host.end(), is_host_name_char)) return bad(fmt::format("bad host name '{}'", host));
  }
  out.host = std::string(host);
  if (!has_port) {
    if (default_port == 0) return bad(grpc ? "needs a port (host:port)" : "needs a port, or a scheme (http://host)");
    out.port = default_port;
    return out;
  }
  int port = 0;
  const auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 ||
      port > 65535)
    return bad(fmt::format("port '{}' is not a number in 1..65535", port_text));
  out.port = port;
  return out;
}

// --- Server-Timing -----------------------------------------------------------

ServerTiming parse_server_timing(std::string_view value) {
  ServerTiming t;
  size_t from = 0;
  while (from <= value.size()) {
    const size_t comma = find_unquoted(value, ',', from);
    parse_timing_metric(value.substr(from, comma - from), t);
    from = comma + 1;
  }
  return t;
}

// --- schedule ----------------------------------------------------------------

ArrivalSchedule::ArrivalSchedule(double rate_per_s, uint64_t seed) : rng_(seed), gap_(rate_per_s) {
  FS_CHECK_MSG(rate_per_s > 0 && std::isfinite(rate_per_s), "ArrivalSchedule needs a positive rate");
}

double ArrivalSchedule::next() {
  // An exponential draw can be 0 (or too small to move t_): keep the times strictly increasing.
  const double t = t_ + gap_(rng_);
  t_ = t > t_ ? t : std::nextafter(t_, std::numeric_limits<double>::infinity());
  return t_;
}

// --- the run -------------------------------------------------------------------

int64_t ServerBenchReport::failed() const {
  int64_t n = 0;
  for (const auto& [reason, count] : failures) n += count;
  return n;
}

Result<ServerBenchReport> run_server_bench(const ServerBenchOptions& opts, const ServerBenchProgress& progress) {
  FS_ASSIGN_OR_RETURN(ServerUrl url, parse_server_url(opts.url, opts.grpc));
  if (opts.concurrency < 1) return invalid_argument("--concurrency must be at least 1");
  std::unique_ptr<BenchTransport> transport =
      opts.grpc ? make_grpc_transport(url, opts) : make_http_transport(url, opts);
  FS_ASSIGN_OR_RETURN(ModelSpec spec, transport->fetch_metadata());
  if (spec.name.empty()) spec.name = opts.model;
  FS_ASSIGN_OR_RETURN(std::vector<BenchTensor> inputs,
                      make_server_inputs(spec, opts.batch, !opts.grpc && opts.json_data));
  FS_RETURN_IF_ERROR(transport->prepare(inputs));

  ServerBenchReport r;
  r.server = opts.grpc ? (url.tls ? "grpcs://" : "grpc://") + url.authority() : url.http_origin();
  r.model = opts.model;
  r.protocol = opts.grpc ? "grpc" : "http";
  r.data = opts.grpc ? "raw" : opts.json_data ? "json" : "binary";
  r.concurrency = opts.concurrency;
  r.rate = opts.rate;
  for (const BenchTensor& t : inputs) r.inputs.push_back(TensorSpec{t.name, t.datatype, t.shape});
  r.items_per_request = items_per_request(inputs);
  r.warmup_s = opts.warmup_s;

  std::vector<std::unique_ptr<BenchClient>> clients;
  for (int i = 0; i < opts.concurrency; ++i) clients.push_back(transport->make_client());
  std::vector<ClientLog> logs(clients.size());

  RunWindow w;
  w.start = Clock::now();
  w.measure_start = w.start + seconds(opts.warmup_s);
  w.end = w.measure_start + seconds(opts.duration_s);
  std::optional<SharedSchedule> schedule;
  if (opts.rate > 0) schedule.emplace(opts.rate, w);

  std::atomic<int64_t> answers{0};
  std::mutex mu;
  std::condition_variable cv;
  size_t finished = 0;
  std::vector<std::thread> threads;
  threads.reserve(clients.size());
  for (size_t i = 0; i < clients.size(); ++i) {
    threads.emplace_back([&, i] {
      if (schedule) {
        open_loop_client(*clients[i], w, *schedule, logs[i], answers);
      } else {
        closed_loop_client(*clients[i], w, logs[i], answers);
      }
      std::lock_guard<std::mutex> lock(mu);
      ++finished;
      cv.notify_one();
    });
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    while (!cv.wait_for(lock, kProgressInterval, [&] { return finished == threads.size(); })) {
      if (progress) progress(answers.load(std::memory_order_relaxed));
    }
  }
  for (std::thread& t : threads) t.join();
  if (progress) progress(answers.load(std::memory_order_relaxed));

  if (schedule) r.unsent = schedule->untaken_in_window();
  summarize_run(logs, w, r);
  return r;
}

}  // namespace fastserve::cli
