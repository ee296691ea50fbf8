// A scratch directory for tests that write model files, removed afterwards.
#pragma once

#include <string>
#include <string_view>

namespace fastserve::testing {

class TempDir {
 public:
  TempDir();  // a fresh directory under $TMPDIR (or /tmp)
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name
  std::string file(const std::string& name) const { return path_ + "/" + name; }
  // Writes `bytes` to path()/name (creating subdirectories); returns the full path.
  std::string write(const std::string& name, std::string_view bytes) const;

 private:
  std::string path_;
};

}  // namespace fastserve::testing
