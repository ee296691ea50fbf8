// Runs the built `fastserve` binary as a subprocess for the CLI tests:
// captures its exit code, stdout and stderr (or, on a pseudo-terminal, the
// merged terminal output, to see what a user at a TTY sees).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fastserve::testing {

struct ProcessResult {
  int exit_code = -1;  // 128 + signal number when the process was killed by a signal
  std::string out;     // stdout (on a pty: everything the terminal showed)
  std::string err;     // stderr (empty on a pty)
};

// Path of the binary (FASTSERVE_BINARY from CMake); "" when not built.
std::string fastserve_binary();
// Runs `fastserve args...` with stdout and stderr on pipes.
ProcessResult run_fastserve(const std::vector<std::string>& args);
// Runs `fastserve args...` with stdout and stderr on a pseudo-terminal.
ProcessResult run_fastserve_on_pty(const std::vector<std::string>& args);

// Lines of `text` without their '\n' (a final newline adds no empty line).
std::vector<std::string> split_lines(const std::string& text);

// A fresh folder under the system temp dir, removed with its content on destruction.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

// Writes bytes to a file (test fixtures).
void write_file(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);

}  // namespace fastserve::testing
