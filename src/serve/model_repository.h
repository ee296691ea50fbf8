// The model repository on disk: <repo>/<model>/config.pbtxt (optional) and
// <repo>/<model>/<version>/<default_model_filename>, Triton's layout.
// Reading only; which versions load is the version policy's choice.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/status.h"
#include "serve/model_config.h"

namespace fastserve::serve {

struct RepositoryVersion {
  int64_t version = 0;
  std::string path;        // the model file
  int64_t size = 0;        // bytes
  int64_t mtime_ns = 0;    // last modification
};

struct RepositoryModel {
  std::string name;
  std::string dir;
  bool has_config = false;
  ModelConfig config;      // parsed config.pbtxt (defaults when absent; name = folder)
  std::vector<RepositoryVersion> versions;  // ascending, only those whose model file exists
  // Changes whenever the config or a version's file changes (the poller compares it).
  std::string signature;
};

// Names of the model folders in `repo` (sorted).
Result<std::vector<std::string>> list_repository_models(const std::string& repo);
// Reads one model folder; errors name the file (a bad config.pbtxt, no such folder).
Result<RepositoryModel> read_repository_model(const std::string& repo, const std::string& name);
// The versions the config's version policy selects (ascending).
std::vector<RepositoryVersion> select_versions(const RepositoryModel& model);

}  // namespace fastserve::serve
