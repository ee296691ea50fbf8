// A one-line progress bar on stderr for long commands (eval, bench).
//
// Drawn only when enabled (callers pass !quiet && stderr_is_tty(), so logs
// and pipes stay clean), redrawn at most every 100 ms, and erased on finish
// so the result lines that follow are not interleaved with it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace fastserve::cli {

bool stderr_is_tty();

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool enabled);
  // A bar that fills with time rather than count (bench --duration): it
  // shows the count done and the seconds elapsed of `duration`.
  struct Seconds {
    double value;
  };
  ProgressBar(std::string label, Seconds duration, bool enabled);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  // Sets progress to `done` of `total`; redraws if 100 ms passed since the last draw.
  void update(int64_t done);
  // Erases the bar (idempotent).
  void finish();

 private:
  void draw(int64_t done);

  std::string label_;
  int64_t total_;
  double total_seconds_ = 0;  // > 0: a timed bar
  bool enabled_;
  bool drawn_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace fastserve::cli
