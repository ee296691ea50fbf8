// Scratch directories for file-based tests (see temp_dir.h).
#include "tests/onnx/temp_dir.h"

#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "fastserve/status.h"

namespace fastserve::testing {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string templ =
      std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/fastserve_test_XXXXXX";
  FS_CHECK_MSG(::mkdtemp(templ.data()) != nullptr, "mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string TempDir::write(const std::string& name, std::string_view bytes) const {
  const std::string full = file(name);
  std::filesystem::create_directories(std::filesystem::path(full).parent_path());
  std::ofstream out(full, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  FS_CHECK_MSG(out.good(), "writing a test file failed");
  return full;
}

}  // namespace fastserve::testing
