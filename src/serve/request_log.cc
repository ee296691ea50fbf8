#include "serve/request_log.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <random>
#include <string>

namespace fastserve::serve {

namespace {

bool is_hex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return !s.empty();
}

// Request ids appear in logs and headers: keep them printable and bounded.
bool usable_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id)
    if (c < 0x21 || c > 0x7e || c == '"' || c == '\\') return false;
  return true;
}

}  // namespace

bool init_json_logging(std::string_view level) {
  spdlog::level::level_enum lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return false;
  auto logger = spdlog::get("fastserve");
  if (!logger) logger = spdlog::stderr_logger_mt("fastserve");
  // Messages are already JSON fields (see log_access): the pattern opens the
  // object with the timestamp and level, the message closes it.
  logger->set_pattern(R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(lvl);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  return true;
}

std::string trace_id_from_traceparent(std::string_view tp) {
  // version "-" trace-id "-" parent-id "-" flags
  if (tp.size() < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return "";
  std::string_view trace = tp.substr(3, 32);
  if (!is_hex(tp.substr(0, 2)) || !is_hex(trace) || !is_hex(tp.substr(36, 16))) return "";
  if (trace == std::string(32, '0')) return "";
  return std::string(trace);
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng()));
  return buf;
}

std::string choose_request_id(std::string_view protocol_id, std::string_view x_request_id,
                              std::string_view traceparent) {
  if (usable_id(protocol_id)) return std::string(protocol_id);
  if (usable_id(x_request_id)) return std::string(x_request_id);
  std::string trace = trace_id_from_traceparent(traceparent);
  if (!trace.empty()) return trace;
  return new_request_id();
}

void append_json_string(std::string& out, std::string_view s) {
  out.push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void log_access(const AccessRecord& r) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(spdlog::level::info)) return;
  std::string m;
  m.reserve(256);
  m += "\"msg\":\"access\",\"protocol\":";
  append_json_string(m, r.protocol);
  m += ",\"method\":";
  append_json_string(m, r.method);
  m += ",\"path\":";
  append_json_string(m, r.path);
  m += ",\"request_id\":";
  append_json_string(m, r.request_id);
  if (!r.model.empty()) {
    m += ",\"model\":";
    append_json_string(m, r.model);
    m += ",\"version\":";
    append_json_string(m, r.version);
  }
  m += ",\"peer\":";
  append_json_string(m, r.peer);
  char nums[256];
  std::snprintf(nums, sizeof nums,
                ",\"status\":%d,\"total_ms\":%.3f,\"queue_ms\":%.3f,\"compute_ms\":%.3f,"
                "\"bytes_in\":%llu,\"bytes_out\":%llu",
                r.status, r.total_ms, r.queue_ms, r.compute_ms,
                static_cast<unsigned long long>(r.bytes_in), static_cast<unsigned long long>(r.bytes_out));
  m += nums;
  if (!r.error.empty()) {
    m += ",\"error\":";
    append_json_string(m, r.error);
  }
  logger->info(m);
}

void log_event(LogLevel level, std::string_view msg) {
  spdlog::level::level_enum lvl = level == LogLevel::kDebug  ? spdlog::level::debug
                                  : level == LogLevel::kInfo ? spdlog::level::info
                                  : level == LogLevel::kWarn ? spdlog::level::warn
                                                             : spdlog::level::err;
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(lvl)) return;
  std::string m = "\"msg\":";
  append_json_string(m, msg);
  logger->log(lvl, m);
}

}  // namespace fastserve::serve
