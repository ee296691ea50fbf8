// Resolving and mapping external data files (see onnx_external_data.h).
#include "onnx/onnx_external_data.h"

namespace fastserve {

Result<std::string> normalize_external_location(std::string_view location) {
  const std::string quoted = "'" + std::string(location.substr(0, 200)) + "'";
  if (location.empty()) return invalid_model("external data location is empty");
  if (location.find('\0') != std::string_view::npos) {
    return invalid_model("external data location contains a NUL byte");
  }
  if (location.front() == '/') {
    return invalid_model("external data location " + quoted +
                         " is an absolute path (must be relative to the model's directory)");
  }
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= location.size()) {
    size_t slash = location.find('/', start);
    if (slash == std::string_view::npos) slash = location.size();
    const std::string_view part = location.substr(start, slash - start);
    if (part == "..") {
      if (parts.empty()) {
        return invalid_model("external data location " + quoted + " escapes the model's directory");
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = slash + 1;
  }
  if (parts.empty()) return invalid_model("external data location " + quoted + " names no file");
  std::string normalized;
  for (std::string_view p : parts) {
    if (!normalized.empty()) normalized += '/';
    normalized += p;
  }
  return normalized;
}

Result<std::shared_ptr<const MappedFile>> ExternalDataFiles::open(std::string_view location) {
  FS_ASSIGN_OR_RETURN(std::string normalized, normalize_external_location(location));
  if (auto it = files_.find(normalized); it != files_.end()) return it->second;
  const std::string path = (base_dir_.empty() ? std::string(".") : base_dir_) + "/" + normalized;
  auto file = MappedFile::open(path);
  if (!file.ok()) {
    const Status& s = file.status();
    if (s.code() == StatusCode::kNotFound) return not_found("external data file " + path + " not found");
    return Status(s.code(), "external data file " + s.message());
  }
  files_.emplace(normalized, file.value());
  return file.value();
}

std::vector<std::shared_ptr<const void>> ExternalDataFiles::owners() const {
  std::vector<std::shared_ptr<const void>> out;
  out.reserve(files_.size());
  for (const auto& [name, file] : files_) out.push_back(MappedFile::data_owner(file));
  return out;
}

std::vector<std::pair<const void*, size_t>> ExternalDataFiles::ranges() const {
  std::vector<std::pair<const void*, size_t>> out;
  for (const auto& [name, file] : files_) out.emplace_back(file->data(), file->size());
  return out;
}

}  // namespace fastserve
