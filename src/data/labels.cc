// Label files (see labels.h).
#include "data/labels.h"

#include <filesystem>
#include <fstream>

namespace fastserve {

Result<std::vector<std::string>> read_labels(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return not_found(path + ": no such label file");
  if (std::filesystem::is_directory(path, ec)) return invalid_argument(path + ": is a directory, not a label file");
  std::ifstream in(path, std::ios::binary);
  if (!in) return not_found(path + ": cannot open label file");
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (labels.empty() && line.rfind("\xEF\xBB\xBF", 0) == 0) line.erase(0, 3);
    labels.push_back(line);
  }
  if (in.bad()) return invalid_argument(path + ": read error");
  while (!labels.empty() && labels.back().empty()) labels.pop_back();
  if (labels.empty()) return invalid_argument(path + ": label file is empty");
  return labels;
}

std::string model_labels_path(const std::map<std::string, std::string>& metadata, const std::string& model_path) {
  auto it = metadata.find(std::string(kMetaLabels));
  if (it == metadata.end() || it->second.empty()) return "";
  std::filesystem::path p(it->second);
  if (p.is_absolute()) return p.string();
  return (std::filesystem::path(model_path).parent_path() / p).string();
}

std::string label_for(const std::vector<std::string>& labels, int64_t index) {
  if (index >= 0 && static_cast<size_t>(index) < labels.size()) return labels[static_cast<size_t>(index)];
  return "class " + std::to_string(index);
}

}  // namespace fastserve
