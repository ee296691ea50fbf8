// Progress bar drawing (see progress_bar.h).
#include "cli/progress_bar.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

namespace fastserve::cli {

namespace {
constexpr int kBarWidth = 30;
constexpr auto kRedrawInterval = std::chrono::milliseconds(100);
}  // namespace

bool stderr_is_tty() { return isatty(STDERR_FILENO) == 1; }

ProgressBar::ProgressBar(std::string label, int64_t total, bool enabled)
    : label_(std::move(label)), total_(std::max<int64_t>(total, 1)), enabled_(enabled),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::ProgressBar(std::string label, Seconds duration, bool enabled)
    : ProgressBar(std::move(label), 1, enabled) {
  total_seconds_ = std::max(duration.value, 1e-9);
}

ProgressBar::~ProgressBar() { finish(); }

void ProgressBar::update(int64_t done) {
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < kRedrawInterval && (total_seconds_ > 0 || done < total_)) return;
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(int64_t done) {
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const double rate = secs > 0 ? static_cast<double>(std::max<int64_t>(done, 0)) / secs : 0.0;
  const double fraction = total_seconds_ > 0 ? std::clamp(secs / total_seconds_, 0.0, 1.0)
                                             : static_cast<double>(std::clamp<int64_t>(done, 0, total_)) /
                                                   static_cast<double>(total_);
  const int filled = static_cast<int>(kBarWidth * fraction);
  std::string bar(static_cast<size_t>(filled), '=');
  if (filled < kBarWidth) bar += '>';
  bar.resize(kBarWidth, ' ');
  // \r returns to the line start, \x1b[K erases what a longer earlier draw left.
  if (total_seconds_ > 0) {
    fmt::print(stderr, "\r{} [{}] {} {:.1f}/{:.1f} s {:.0f}/s\x1b[K", label_, bar, done,
               std::min(secs, total_seconds_), total_seconds_, rate);
  } else {
    done = std::clamp<int64_t>(done, 0, total_);
    fmt::print(stderr, "\r{} [{}] {}/{} {:3d}% {:.0f}/s\x1b[K", label_, bar, done, total_,
               static_cast<int>(100 * done / total_), rate);
  }
  std::fflush(stderr);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (!enabled_ || !drawn_) return;
  fmt::print(stderr, "\r\x1b[K");
  std::fflush(stderr);
  drawn_ = false;
  enabled_ = false;
}

}  // namespace fastserve::cli
