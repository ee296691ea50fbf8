// Status names and the abort path behind FS_CHECK.
#include "fastserve/status.h"

namespace fastserve {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "OK";
    case StatusCode::kInvalidArgument: return "INVALID_ARGUMENT";
    case StatusCode::kNotFound: return "NOT_FOUND";
    case StatusCode::kUnsupported: return "UNSUPPORTED";
    case StatusCode::kInvalidModel: return "INVALID_MODEL";
    case StatusCode::kOutOfRange: return "OUT_OF_RANGE";
    case StatusCode::kResourceExhausted: return "RESOURCE_EXHAUSTED";
    case StatusCode::kUnavailable: return "UNAVAILABLE";
    case StatusCode::kDeadlineExceeded: return "DEADLINE_EXCEEDED";
    case StatusCode::kInternal: return "INTERNAL";
  }
  return "UNKNOWN";
}

std::string Status::to_string() const {
  if (ok()) return "OK";
  return std::string(status_code_name(code_)) + ": " + message_;
}

void check_failed(const char* file, int line, const char* expr, const char* msg) {
  // One fprintf so concurrent failures do not interleave mid-line.
  if (msg != nullptr) {
    std::fprintf(stderr, "FATAL %s:%d: check failed: %s (%s)\n", file, line, expr, msg);
  } else {
    std::fprintf(stderr, "FATAL %s:%d: check failed: %s\n", file, line, expr);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace fastserve
