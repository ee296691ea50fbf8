#include "serve/stop_signal.h"

#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>

namespace fastserve::serve {

StopSignal::StopSignal() {
  sigemptyset(&signals_);
  sigaddset(&signals_, SIGTERM);
  sigaddset(&signals_, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals_, nullptr);
  fd_ = signalfd(-1, &signals_, SFD_CLOEXEC);
}

StopSignal::~StopSignal() {
  if (fd_ >= 0) close(fd_);
}

int StopSignal::wait() {
  if (fd_ >= 0) {
    // poll() reports the signal without taking it: the flag is set first,
    // then read() takes it, so requested() is never false in between.
    pollfd p{fd_, POLLIN, 0};
    while (poll(&p, 1, -1) < 0 && errno == EINTR) {
    }
    taken_.store(true);
    signalfd_siginfo info{};
    if (read(fd_, &info, sizeof info) == static_cast<ssize_t>(sizeof info)) return static_cast<int>(info.ssi_signo);
  }
  // No signalfd (or the read failed): plain sigwait; the pending check in
  // requested() still covers the time before this thread runs.
  int sig = 0;
  sigwait(&signals_, &sig);
  taken_.store(true);
  return sig;
}

bool StopSignal::requested() const {
  if (taken_.load()) return true;
  sigset_t pending;
  if (sigpending(&pending) != 0) return false;
  return sigismember(&pending, SIGTERM) == 1 || sigismember(&pending, SIGINT) == 1;
}

}  // namespace fastserve::serve
