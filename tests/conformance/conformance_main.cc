// fastserve_conformance: runs the ONNX backend node tests (generated from the
// pip onnx package by tools/make_onnx_node_tests.py) through FastServe and
// prints pass / fail / unsupported per test and the totals.
//
// Each test runs in a forked child with a time limit, so a crash (signal,
// sanitizer report, leak) or a hang is reported as such and the run goes on;
// either makes the run fail. With --expected, a test the committed file says
// passes and that no longer passes is a regression and fails the run; tests
// that now pass are listed so the file can be refreshed (--update-expected).
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "graph/op_schema.h"
#include "tests/conformance/expected_results.h"
#include "tests/conformance/node_test_runner.h"

namespace fastserve::conformance {
namespace {

struct Options {
  std::string data_dir;
  std::string expected_file;
  std::string update_file;
  std::string filter;
  double timeout_s = 120;
  bool verbose = false;
  bool skip_if_missing = false;
};

// What the generator recorded per test: the opset and the op types (from
// MANIFEST.tsv), so "are all its ops ones we list?" needs no model parsing.
struct ManifestEntry {
  int opset = 0;
  std::vector<std::string> ops;  // "Op" or "domain:Op"
};

std::map<std::string, ManifestEntry> read_manifest(const std::string& dir) {
  std::map<std::string, ManifestEntry> m;
  std::ifstream in(dir + "/MANIFEST.tsv");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string name, opset, ops;
    if (!std::getline(f, name, '\t') || !std::getline(f, opset, '\t')) continue;
    std::getline(f, ops);
    ManifestEntry e;
    e.opset = std::atoi(opset.c_str());
    std::istringstream o(ops);
    for (std::string op; o >> op;) e.ops.push_back(op);
    m[name] = std::move(e);
  }
  return m;
}

bool ops_listed(const ManifestEntry& e) {
  for (const std::string& op : e.ops) {
    const size_t colon = op.find(':');
    const std::string domain = colon == std::string::npos ? "" : op.substr(0, colon);
    const std::string type = colon == std::string::npos ? op : op.substr(colon + 1);
    if (find_op_schema(type, domain == "ai.onnx" ? "" : domain) == nullptr) return false;
  }
  return true;
}

enum class Verdict { kPass, kFail, kUnsupported, kCrash, kHang };
const char* verdict_name(Verdict v) {
  switch (v) {
    case Verdict::kPass: return "PASS";
    case Verdict::kFail: return "FAIL";
    case Verdict::kUnsupported: return "UNSUPPORTED";
    case Verdict::kCrash: return "CRASH";
    case Verdict::kHang: return "HANG";
  }
  return "?";
}
const char* outcome_word(Verdict v) {
  return v == Verdict::kPass ? "pass" : v == Verdict::kUnsupported ? "unsupported" : "fail";
}

struct Verdicted {
  Verdict verdict;
  std::string detail;
};

// Forks, runs the test in the child, and reads its one-line answer through a pipe.
Verdicted run_isolated(const NodeTestCase& test, double timeout_s) {
  int fds[2];
  if (pipe(fds) != 0) return {Verdict::kCrash, "pipe() failed"};
  std::fflush(stdout);
  const pid_t pid = fork();
  if (pid < 0) return {Verdict::kCrash, "fork() failed"};
  if (pid == 0) {
    close(fds[0]);
    const NodeTestResult r = run_node_test(test, Tolerance{});
    std::string msg(1, static_cast<char>(r.outcome));
    msg += r.detail;
    for (size_t off = 0; off < msg.size();) {
      const ssize_t n = write(fds[1], msg.data() + off, msg.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fds[1]);
    std::exit(0);  // not _exit: LeakSanitizer checks at exit, and a leak fails the test
  }
  close(fds[1]);
  std::string answer;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  bool timed_out = false;
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // loop re-checks the deadline
    char buf[4096];
    const ssize_t n = read(fds[0], buf, sizeof buf);
    if (n <= 0) break;  // EOF: the child closed its end (finished or died)
    answer.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    return {Verdict::kHang, "no answer within " + std::to_string(static_cast<int>(timeout_s)) + " s"};
  }
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return {Verdict::kCrash, "killed by signal " + std::to_string(WTERMSIG(status))};
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return {Verdict::kCrash, "exit code " + std::to_string(WEXITSTATUS(status)) +
                                 (answer.empty() ? "" : " after answering (sanitizer report at exit?)")};
  }
  if (answer.empty()) return {Verdict::kCrash, "no answer"};
  const char c = answer[0];
  const std::string detail = answer.substr(1);
  if (c == static_cast<char>(Outcome::kPass)) return {Verdict::kPass, detail};
  if (c == static_cast<char>(Outcome::kUnsupported)) return {Verdict::kUnsupported, detail};
  return {Verdict::kFail, detail};
}

int run(const Options& opt) {
  if (opt.skip_if_missing && access(opt.data_dir.c_str(), F_OK) != 0) {
    std::printf("SKIPPED: no node tests at %s (generate them with `make conformance-data`)\n", opt.data_dir.c_str());
    return 77;  // ctest's SKIP_RETURN_CODE
  }
  Result<std::vector<NodeTestCase>> tests = list_node_tests(opt.data_dir);
  if (!tests.ok()) {
    std::fprintf(stderr, "fastserve_conformance: %s\n", tests.status().message().c_str());
    return 2;
  }
  const std::map<std::string, ManifestEntry> manifest = read_manifest(opt.data_dir);
  OutcomeMap expected;
  if (!opt.expected_file.empty()) {
    Result<OutcomeMap> e = read_expected_results(opt.expected_file);
    if (!e.ok()) {
      std::fprintf(stderr, "fastserve_conformance: %s\n", e.status().message().c_str());
      return 2;
    }
    expected = std::move(*e);
  }

  std::map<Verdict, int> totals;
  int listed = 0, listed_pass = 0;
  OutcomeMap outcomes;
  std::vector<std::string> regressions, broken, newly_passing;
  for (const NodeTestCase& t : *tests) {
    if (!opt.filter.empty() && t.name.find(opt.filter) == std::string::npos) continue;
    const Verdicted v = run_isolated(t, opt.timeout_s);
    ++totals[v.verdict];
    outcomes[t.name] = outcome_word(v.verdict);
    auto m = manifest.find(t.name);
    const bool all_listed = m != manifest.end() && ops_listed(m->second);
    if (all_listed) {
      ++listed;
      listed_pass += v.verdict == Verdict::kPass;
    }
    const std::string line = std::string(verdict_name(v.verdict)) + " " + t.name +
                             (v.detail.empty() ? "" : ": " + v.detail);
    if (v.verdict == Verdict::kCrash || v.verdict == Verdict::kHang) broken.push_back(line);
    if (opt.verbose || v.verdict != Verdict::kUnsupported || all_listed) std::printf("%s\n", line.c_str());
    auto e = expected.find(t.name);
    if (e != expected.end()) {
      if (e->second == "pass" && v.verdict != Verdict::kPass) regressions.push_back(line);
      if (e->second != "pass" && v.verdict == Verdict::kPass) newly_passing.push_back(t.name);
    }
  }

  const int total = totals[Verdict::kPass] + totals[Verdict::kFail] + totals[Verdict::kUnsupported] +
                    totals[Verdict::kCrash] + totals[Verdict::kHang];
  std::printf("\nONNX node tests: %d run: %d pass, %d fail, %d unsupported, %d crash, %d hang\n", total,
              totals[Verdict::kPass], totals[Verdict::kFail], totals[Verdict::kUnsupported],
              totals[Verdict::kCrash], totals[Verdict::kHang]);
  if (!manifest.empty()) {
    std::printf("Tests whose ops are all listed as supported: %d, of which %d pass (%.1f%%)\n", listed, listed_pass,
                listed ? 100.0 * listed_pass / listed : 0.0);
  }
  if (!newly_passing.empty()) {
    std::printf("%zu test(s) now pass that the expected file does not list as passing (refresh it with "
                "--update-expected):",
                newly_passing.size());
    for (const std::string& n : newly_passing) std::printf(" %s", n.c_str());
    std::printf("\n");
  }
  if (!opt.update_file.empty()) {
    char header[256];
    std::snprintf(header, sizeof header,
                  "# ONNX backend node tests: expected outcome per test (pass | fail | unsupported).\n"
                  "# Written by fastserve_conformance --update-expected; %d pass of %d.\n",
                  totals[Verdict::kPass], total);
    if (Status s = write_expected_results(opt.update_file, outcomes, header); !s.ok()) {
      std::fprintf(stderr, "fastserve_conformance: %s\n", s.message().c_str());
      return 2;
    }
    std::printf("Wrote %s\n", opt.update_file.c_str());
  }
  for (const std::string& l : broken) std::printf("BROKEN  %s\n", l.c_str());
  for (const std::string& l : regressions) std::printf("REGRESSION  %s (expected to pass)\n", l.c_str());
  if (!broken.empty() || !regressions.empty()) {
    std::printf("FAILED: %zu crash/hang, %zu regression(s)\n", broken.size(), regressions.size());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace fastserve::conformance

int main(int argc, char** argv) {
  fastserve::conformance::Options opt;
  CLI::App app{"Runs the ONNX backend node tests through FastServe"};
  app.add_option("--data", opt.data_dir, "directory of node tests (make conformance-data)")->required();
  app.add_option("--expected", opt.expected_file, "expected outcomes; a pass that no longer passes fails the run");
  app.add_option("--update-expected", opt.update_file, "write this run's outcomes to this file");
  app.add_option("--filter", opt.filter, "only tests whose name contains this");
  app.add_option("--timeout", opt.timeout_s, "seconds per test before it counts as a hang");
  app.add_flag("--skip-if-missing", opt.skip_if_missing, "exit 77 (skipped) when --data does not exist");
  app.add_flag("--verbose", opt.verbose, "also print tests with unlisted ops");
  CLI11_PARSE(app, argc, argv);
  return fastserve::conformance::run(opt);
}
