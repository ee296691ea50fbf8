// StopSignal: requested() is true from the moment SIGTERM is pending (before
// wait() takes it) and stays true after; wait() returns the signal.
#include "serve/stop_signal.h"

#include <gtest/gtest.h>
#include <pthread.h>

#include <csignal>

namespace fastserve::serve {
namespace {

// The signal is sent to this thread only (pthread_kill): other threads of the
// test binary do not block SIGTERM, and a process-wide kill would end it.
TEST(StopSignal, RequestedFromThePendingSignalOnAndWaitReturnsIt) {
  sigset_t old;
  pthread_sigmask(SIG_SETMASK, nullptr, &old);
  {
    StopSignal stop;
    EXPECT_FALSE(stop.requested());
    ASSERT_EQ(pthread_kill(pthread_self(), SIGTERM), 0);
    EXPECT_TRUE(stop.requested()) << "pending, not yet taken";
    EXPECT_EQ(stop.wait(), SIGTERM);
    EXPECT_TRUE(stop.requested()) << "taken";
    sigset_t pending;
    sigpending(&pending);
    EXPECT_EQ(sigismember(&pending, SIGTERM), 0) << "wait() takes the signal off the pending set";
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

TEST(StopSignal, SigintCountsToo) {
  sigset_t old;
  pthread_sigmask(SIG_SETMASK, nullptr, &old);
  {
    StopSignal stop;
    ASSERT_EQ(pthread_kill(pthread_self(), SIGINT), 0);
    EXPECT_TRUE(stop.requested());
    EXPECT_EQ(stop.wait(), SIGINT);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace
}  // namespace fastserve::serve
