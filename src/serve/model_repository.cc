// Reads Triton-layout model folders (see model_repository.h).
#include "serve/model_repository.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace fastserve::serve {

namespace fs = std::filesystem;

namespace {

bool is_version_name(const std::string& s) {
  return !s.empty() && s.size() <= 18 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int64_t mtime_ns_of(const fs::path& p) {
  std::error_code ec;
  auto t = fs::last_write_time(p, ec);
  if (ec) return 0;
  return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count());
}

}  // namespace

Result<std::vector<std::string>> list_repository_models(const std::string& repo) {
  std::error_code ec;
  if (!fs::is_directory(repo, ec))
    return Status(StatusCode::kNotFound, "model repository '" + repo + "' is not a folder");
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(repo, ec)) {
    if (!entry.is_directory(ec)) continue;
    std::string name = entry.path().filename().string();
    if (name.empty() || name[0] == '.') continue;  // hidden folders: editors, half-copied trees
    names.push_back(std::move(name));
  }
  if (ec) return Status(StatusCode::kInvalidArgument, "model repository '" + repo + "': " + ec.message());
  std::sort(names.begin(), names.end());
  return names;
}

Result<RepositoryModel> read_repository_model(const std::string& repo, const std::string& name) {
  RepositoryModel m;
  m.name = name;
  m.dir = (fs::path(repo) / name).string();
  std::error_code ec;
  if (name.empty() || name.find('/') != std::string::npos || name == "." || name == ".." ||
      !fs::is_directory(m.dir, ec))
    return Status(StatusCode::kNotFound, "model '" + name + "' is not in the repository '" + repo + "'");
  const fs::path config_path = fs::path(m.dir) / "config.pbtxt";
  std::ostringstream sig;
  if (fs::is_regular_file(config_path, ec)) {
    std::ifstream in(config_path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    FS_ASSIGN_OR_RETURN(m.config, parse_model_config(text.str(), config_path.string()));
    m.has_config = true;
    sig << "config:" << fs::file_size(config_path, ec) << ":" << mtime_ns_of(config_path) << ";";
  }
  if (m.config.name.empty()) m.config.name = name;
  if (m.config.name != name)
    return Status(StatusCode::kInvalidArgument, config_path.string() + ": name '" + m.config.name +
                                                    "' differs from the folder name '" + name + "'");
  for (const auto& entry : fs::directory_iterator(m.dir, ec)) {
    const std::string v = entry.path().filename().string();
    if (!entry.is_directory(ec) || !is_version_name(v)) continue;
    const fs::path file = entry.path() / m.config.default_model_filename;
    if (!fs::is_regular_file(file, ec)) continue;
    RepositoryVersion rv;
    rv.version = std::stoll(v);
    rv.path = file.string();
    rv.size = static_cast<int64_t>(fs::file_size(file, ec));
    rv.mtime_ns = mtime_ns_of(file);
    m.versions.push_back(rv);
  }
  std::sort(m.versions.begin(), m.versions.end(),
            [](const RepositoryVersion& a, const RepositoryVersion& b) { return a.version < b.version; });
  for (const auto& v : m.versions) sig << v.version << ":" << v.size << ":" << v.mtime_ns << ";";
  m.signature = sig.str();
  return m;
}

std::vector<RepositoryVersion> select_versions(const RepositoryModel& model) {
  const VersionPolicy& p = model.config.version_policy;
  std::vector<RepositoryVersion> out;
  switch (p.kind) {
    case VersionPolicy::Kind::kAll:
      out = model.versions;
      break;
    case VersionPolicy::Kind::kSpecific:
      for (const auto& v : model.versions)
        if (std::find(p.versions.begin(), p.versions.end(), v.version) != p.versions.end()) out.push_back(v);
      break;
    case VersionPolicy::Kind::kLatest: {
      const size_t n = static_cast<size_t>(std::max<int64_t>(1, p.num_versions));
      const size_t first = model.versions.size() > n ? model.versions.size() - n : 0;
      out.assign(model.versions.begin() + static_cast<std::ptrdiff_t>(first), model.versions.end());
      break;
    }
  }
  return out;
}

}  // namespace fastserve::serve
