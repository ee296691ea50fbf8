// Request ids and the access log, shared by the HTTP and gRPC front ends.
//
// Logs are JSON lines through spdlog (logger "fastserve"): one object per
// line with ts, level, msg and the fields below. The access log is one line
// per request at level info (suppressed at --log-level warn and above).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace fastserve::serve {

// Sets up the process logger: JSON lines on stderr at `level`
// ("trace", "debug", "info", "warn", "error", "off"); false on a bad level.
bool init_json_logging(std::string_view level);

// The id a request is known by: the protocol's request id if the client sent
// one, else X-Request-ID, else the trace id of a W3C traceparent header
// ("00-<32 hex trace id>-<16 hex>-<2 hex>"), else a new random 32-hex id.
std::string choose_request_id(std::string_view protocol_id, std::string_view x_request_id,
                              std::string_view traceparent);
std::string new_request_id();
// The trace id of a well-formed traceparent value, else "".
std::string trace_id_from_traceparent(std::string_view traceparent);

struct AccessRecord {
  std::string_view protocol;  // "http" | "grpc"
  std::string_view method;    // "POST" or the RPC name
  std::string_view path;      // URL path or "/inference.GRPCInferenceService/ModelInfer"
  std::string_view request_id;
  std::string_view model, version;
  std::string_view peer;      // client address
  int status = 0;             // HTTP status, or the gRPC status code
  double total_ms = 0, queue_ms = 0, compute_ms = 0;
  uint64_t bytes_in = 0, bytes_out = 0;
  std::string_view error;     // message of a failed request
};
void log_access(const AccessRecord& record);

// Any other log line: {"ts","level","msg": msg}.
enum class LogLevel { kDebug, kInfo, kWarn, kError };
void log_event(LogLevel level, std::string_view msg);

// Writes `s` as a JSON string literal (quotes included) onto `out`.
void append_json_string(std::string& out, std::string_view s);

}  // namespace fastserve::serve
