// `fastserve bench --server URL`: a load generator for a KServe v2 / Triton
// server (`fastserve serve`, Triton, anything that speaks the protocol), over
// HTTP or gRPC.
//
//   fastserve bench --server URL --model M [--concurrency C] [--rate R] [--duration S]
//                   [--warmup-seconds W] [--batch B] [--grpc] [--binary | --json-data]
//                   [--api-key K] [--timeout S] [--json] [--quiet]
//
// Load. Closed loop by default: C client threads, each with its own
// connection, send a request, wait for its answer and send the next. Open
// loop with --rate R: send times follow a Poisson process of R requests per
// second in total (exponential gaps, fixed seed), drawn in order by whichever
// of the C connections is free; C is therefore also the most requests in
// flight. Latency counts from the *scheduled* send time, so when the server
// (or C) cannot keep up, the waiting shows in the latency instead of being
// left out (coordinated omission); requests whose time came but that were not
// sent by the end are reported as "unsent".
//
// Time. The first W seconds (default 1) are warm-up: sent, not counted. Then
// S seconds are measured: a request counts when it was sent (closed loop) or
// scheduled (open loop) inside them; requests in flight at the end are waited
// for (at most the request timeout) and counted. Open-loop warm-up sends not
// yet made when the measured window begins are dropped, so that a warm-up
// backlog does not stand in for the measured load. Latency statistics cover the
// successful requests; failures are counted by reason ("HTTP 503", "gRPC
// UNAVAILABLE", "HTTP transport: ...").
//
// Inputs. The model's metadata (GET /v2/models/M, or ModelMetadata over gRPC)
// gives input names, datatypes and shapes; a -1 dim becomes --batch when it
// is dim 0 (default 1) and 1 elsewhere. Data is random with a fixed seed per
// input (floats ~U(-1, 1), integers and bools 0 or 1, as the local bench).
// Every request of a run carries the same bytes.
//
// Wire. HTTP: one keep-alive connection per client (TCP_NODELAY), POST
// /v2/models/M/infer with the binary tensor data extension by default
// (Inference-Header-Content-Length; outputs asked for as binary), or JSON
// arrays both ways with --json-data. gRPC (URL host:port): one channel per
// client, with a subchannel of its own, ModelInfer with raw_input_contents.
// --api-key K sends "Authorization: Bearer K" (gRPC metadata likewise).
// Every request has connect and read deadlines (--timeout, default 30 s), so
// a stalled server ends the run instead of hanging it.
//
// Server timing. Each answer's Server-Timing (HTTP header, gRPC trailing
// metadata "server-timing": "queue;dur=<ms>, compute;dur=<ms>,
// total;dur=<ms>") gives the server's queue / compute split and two
// overheads: server total - compute (the server's own work: decode, copy,
// encode) and client latency - server total (network, client, HTTP stack).
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "cli/latency_stats.h"
#include "fastserve/status.h"

namespace CLI {
class App;
}  // namespace CLI

namespace fastserve::cli {

// --- URLs -------------------------------------------------------------------

struct ServerUrl {
  bool tls = false;   // https:// (HTTP) or grpcs:// / https:// (gRPC)
  std::string host;   // IPv6 literals without brackets
  int port = 0;
  // "http://host:port" / "https://[::1]:port": what httplib::Client takes.
  std::string http_origin() const;
  // "host:port" / "[::1]:port": a gRPC target.
  std::string authority() const;
};

// HTTP: "http://host[:port]" (default port 80), "https://host[:port]" (443)
// or "host:port" (plain HTTP). gRPC (`grpc` true): "host:port",
// "grpc://host:port" (plaintext) or "grpcs://host:port" / "https://host:port"
// (TLS); gRPC URLs need a port. IPv6 literals go in brackets. A path other
// than "/", a query, user info or a port outside 1..65535 is an error
// (kInvalidArgument, naming the URL).
Result<ServerUrl> parse_server_url(std::string_view url, bool grpc);

// --- Server-Timing ----------------------------------------------------------

// The server's own account of one request, in ms (NaN = not reported).
struct ServerTiming {
  double queue_ms = std::numeric_limits<double>::quiet_NaN();
  double compute_ms = std::numeric_limits<double>::quiet_NaN();
  double total_ms = std::numeric_limits<double>::quiet_NaN();
};

// Parses a Server-Timing value (W3C Server Timing: comma-separated metrics,
// each `name *(";" param)`, params `dur=<ms>` or `desc="..."`; whitespace
// around tokens is allowed, quoted strings may hold commas and semicolons).
// Reads `dur` of the metrics queue, compute and total; ignores every other
// metric and param. A metric without a valid, finite, non-negative dur is left
// NaN; a repeated metric keeps its first value.
ServerTiming parse_server_timing(std::string_view value);

// --- open-loop schedule -----------------------------------------------------

// Send times of the open loop: a Poisson process with `rate_per_s` arrivals
// per second, i.e. independent exponential gaps of mean 1 / rate, from a
// mt19937_64 seeded with `seed` (the same seed gives the same schedule).
class ArrivalSchedule {
 public:
  ArrivalSchedule(double rate_per_s, uint64_t seed);
  // Seconds from the start of the run to the next send; strictly increasing.
  double next();

 private:
  std::mt19937_64 rng_;
  std::exponential_distribution<double> gap_;
  double t_ = 0;
};

// --- model inputs -----------------------------------------------------------

// One tensor as the model metadata declares it (-1 = variable dim).
struct TensorSpec {
  std::string name;
  std::string datatype;  // v2 name: "FP32", "INT64", ...
  std::vector<int64_t> shape;
};

struct ModelSpec {
  std::string name;
  std::vector<TensorSpec> inputs;
  std::vector<TensorSpec> outputs;
};

// Parses a v2 model metadata JSON body (GET /v2/models/M). Errors
// (kInvalidArgument) name the field: "metadata: inputs[1]: 'shape' is not an
// array of integers".
Result<ModelSpec> parse_model_metadata_json(std::string_view body);

// One input of the request, ready to send.
struct BenchTensor {
  std::string name;
  std::string datatype;
  std::vector<int64_t> shape;  // concrete
  std::string raw;             // little-endian, row-major bytes
  std::string json_data;       // the same values as a flat JSON array ("[0.5,-1,...]")
};

// Concrete shapes (see the file comment; `batch` 0 = not given) and random
// data with a fixed seed per input. Errors (kInvalidArgument): no inputs, a
// datatype without fixed-size numbers (BYTES), a --batch for a model whose
// dim 0 is fixed at another size (naming the input), a request over 1 GiB.
// `with_json` also fills json_data.
Result<std::vector<BenchTensor>> make_server_inputs(const ModelSpec& model, int64_t batch, bool with_json);

// Items in one request: dim 0 of the first input (1 for a scalar input).
int64_t items_per_request(const std::vector<BenchTensor>& inputs);

// The HTTP request body: the JSON header, then (binary) every input's bytes
// in input order. `*json_size` is the header length, for
// Inference-Header-Content-Length.
std::string make_http_infer_body(const std::vector<BenchTensor>& inputs, bool binary, size_t* json_size);

// --- the run ----------------------------------------------------------------

struct ServerBenchOptions {
  std::string url;
  std::string model;
  bool grpc = false;
  int concurrency = 1;
  double rate = 0;  // requests/s in total; 0 = closed loop
  int64_t batch = 0;  // 0 = not given
  bool json_data = false;  // HTTP: JSON arrays instead of the binary extension
  std::string api_key;
  double duration_s = 5;
  double warmup_s = 1;
  double timeout_s = 30;  // connect and read deadline of every request
};

struct ServerBenchReport {
  std::string server;    // normalized URL
  std::string model;
  std::string protocol;  // "http" or "grpc"
  std::string data;      // "binary", "json" (HTTP) or "raw" (gRPC)
  int concurrency = 0;
  double rate = 0;  // 0 = closed loop
  std::vector<TensorSpec> inputs;  // the concrete shapes sent
  int64_t items_per_request = 1;
  double warmup_s = 0;
  double measured_s = 0;  // from the start of the measured window to the last counted answer
  int64_t requests = 0;   // counted (sent in the window)
  int64_t successes = 0;
  int64_t unsent = 0;     // open loop: scheduled in the window, not sent by the end
  std::map<std::string, int64_t> failures;           // reason -> count
  std::map<std::string, std::string> first_failure;  // reason -> the first answer's message
  double requests_per_s = 0;  // successes / measured_s
  double items_per_s = 0;
  LatencyStats latency_ms;    // client side, successes only
  int64_t timed = 0;          // successes whose answer carried a Server-Timing total
  LatencyStats queue_ms, compute_ms, server_total_ms;
  double server_overhead_p50_ms = 0;  // p50 of (server total - compute)
  double client_overhead_p50_ms = 0;  // p50 of (client latency - server total)
  LatencyStats send_lag_ms;  // open loop: actual send - scheduled send

  int64_t failed() const;
};

// Called about every 100 ms from the calling thread with the answers so far
// (warm-up included), and once at the end.
using ServerBenchProgress = std::function<void(int64_t answers)>;

// Fetches the model's metadata, prepares the request and runs the load.
// Errors before the load starts: bad URL (kInvalidArgument), server not
// reachable (kUnavailable), unknown model (kNotFound), refused API key
// (kInvalidArgument), inputs that cannot be made (make_server_inputs).
// Failed requests during the load are counted, not errors.
Result<ServerBenchReport> run_server_bench(const ServerBenchOptions& options, const ServerBenchProgress& progress);

// Renderings. JSON schema (one object on one line; keep the keys stable):
//   {"server","model","protocol","data","mode":"closed"|"open","concurrency","rate" (null: closed),
//    "items_per_request","inputs":[{"name","datatype","shape"}],"warmup_s","duration_s",
//    "requests","successes","unsent","failures":{"total","by_reason":{REASON:N}},
//    "throughput":{"requests_per_s","items_per_s"},
//    "latency_ms":{"min","p50","p90","p99","max","mean"},
//    "server_timing":{"responses","queue_ms":{"p50","p99"},"compute_ms":{"p50","p99"},
//                     "total_ms":{"p50","p99"},"overhead_ms":{"server_p50","client_p50"}},
//    "send_lag_ms":{"p50","p99","max"}}
// Statistics with no samples are null.
std::string server_bench_report_text(const ServerBenchReport& report);
std::string server_bench_report_json(const ServerBenchReport& report);

// --- the CLI hook (bench_command.cc) -----------------------------------------

// The flags of server mode, as bench_command.cc hands them over.
struct ServerBenchFlags {
  ServerBenchOptions options;
  bool binary = false;  // --binary: the default, said explicitly
};

// Adds --server, --concurrency, --rate, --grpc, --binary, --json-data,
// --api-key, --warmup-seconds and --timeout to `bench`; each but --server
// needs --server.
void add_server_bench_options(CLI::App& bench, ServerBenchFlags& flags);
// Whether --server was given.
bool server_bench_requested(const CLI::App& bench);

// What bench_command.cc shares with server mode.
struct SharedBenchFlags {
  std::string model;
  std::vector<int64_t> batches;
  double duration_s = 5;
  bool json = false;
  bool quiet = false;
};

// Runs `bench --server`: refuses the local-model flags given (usage error
// naming them), runs with a progress line on a TTY (unless --quiet / --json),
// prints the report; returns the exit code. Exit 1 also when every counted
// request failed (the report is printed first).
int run_server_bench_command(const CLI::App& bench, const ServerBenchFlags& flags, const SharedBenchFlags& shared);

}  // namespace fastserve::cli
