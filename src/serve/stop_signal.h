// SIGTERM / SIGINT for the server: blocked in every thread and waited for in
// one, with no gap in which the server still says it is ready.
//
// kill() makes the signal pending at once, but the waiting thread may run
// only later (on a busy machine, after an HTTP worker has answered another
// readiness probe with 200). So readiness asks requested(): true from the
// moment the signal is pending, before any thread has taken it, and it stays
// true after wait() has taken it.
#pragma once

#include <atomic>
#include <csignal>

namespace fastserve::serve {

class StopSignal {
 public:
  // Blocks SIGTERM and SIGINT in the calling thread, so threads started
  // afterwards inherit the mask. Construct before any thread starts.
  StopSignal();
  ~StopSignal();
  StopSignal(const StopSignal&) = delete;
  StopSignal& operator=(const StopSignal&) = delete;

  // Blocks until SIGTERM or SIGINT arrives and returns it. requested() is
  // true before the signal is taken off the pending set.
  int wait();

  // A stop signal is pending or has been taken. Cheap (one syscall at most);
  // safe from any thread.
  bool requested() const;

 private:
  sigset_t signals_;
  int fd_ = -1;  // signalfd: readable while a signal is pending, without taking it
  std::atomic<bool> taken_{false};
};

}  // namespace fastserve::serve
