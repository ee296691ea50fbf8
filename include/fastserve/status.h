// Status and Result: how every fallible path below the CLI reports failure.
//
// FastServe does not throw below src/cli. A function that can fail returns a
// Status (or a Result<T>, which is a value or a Status). Callers propagate with
// FS_RETURN_IF_ERROR / FS_ASSIGN_OR_RETURN. Programming errors (broken
// invariants) are not Statuses: they hit FS_CHECK, which aborts with file/line.
//
// Messages name what and where: "model.onnx: node 'conv1' (Conv): input 1 has
// 3 dims, expected 4". The CLI prints the message on one line and maps the
// code to an exit code (see README, "Exit codes").
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>
#include <variant>

namespace fastserve {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // bad user input: flags, tensors, shapes, files with wrong content
  kNotFound,          // missing file, input name, model
  kUnsupported,       // valid input we do not handle (op, opset, dtype)
  kInvalidModel,      // the model file is malformed or inconsistent
  kOutOfRange,        // index/size outside what is allowed
  kResourceExhausted, // allocation failure, queue full
  kUnavailable,       // not ready (serving)
  kDeadlineExceeded,  // a request's time limit passed before it ran (serving)
  kInternal,          // a bug surfaced as a status rather than an abort
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok_status() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Returns a copy whose message is "<context>: <message>". Used to add the
  // file / node / tensor name as an error travels up.
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string to_string() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status ok_status() { return Status(); }
inline Status invalid_argument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status unsupported(std::string m) { return {StatusCode::kUnsupported, std::move(m)}; }
inline Status invalid_model(std::string m) { return {StatusCode::kInvalidModel, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status resource_exhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
inline Status internal_error(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

// A value or an error. Access value() only after checking ok().
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}            // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {      // NOLINT: implicit by design
    if (std::get<Status>(v_).ok()) v_ = Status(StatusCode::kInternal, "Result built from an OK status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() { return value(); }

 private:
  std::variant<T, Status> v_;
};

[[noreturn]] void check_failed(const char* file, int line, const char* expr, const char* msg);

}  // namespace fastserve

#define FS_CONCAT_INNER(a, b) a##b
#define FS_CONCAT(a, b) FS_CONCAT_INNER(a, b)

// Propagates a non-OK Status to the caller.
#define FS_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    ::fastserve::Status fs_status_ = (expr);              \
    if (!fs_status_.ok()) return fs_status_;              \
  } while (0)

// `FS_ASSIGN_OR_RETURN(auto x, make_x());` declares x from a Result or returns its error.
#define FS_ASSIGN_OR_RETURN(lhs, expr) FS_ASSIGN_OR_RETURN_IMPL(FS_CONCAT(fs_result_, __LINE__), lhs, expr)
#define FS_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return tmp.status();            \
  lhs = std::move(tmp).value()

// Invariant checks: a failure is a bug in FastServe, never a user error.
#define FS_CHECK(cond)                                                              \
  do {                                                                              \
    if (!(cond)) ::fastserve::check_failed(__FILE__, __LINE__, #cond, nullptr);    \
  } while (0)
#define FS_CHECK_MSG(cond, msg)                                                     \
  do {                                                                              \
    if (!(cond)) ::fastserve::check_failed(__FILE__, __LINE__, #cond, msg);        \
  } while (0)
