// External data files of one model (TensorProto.data_location = EXTERNAL).
//
// Large models keep weights in side files named by a path relative to the
// model's directory. Each distinct file is mapped once and shared by every
// tensor that points into it. Locations are checked lexically: absolute
// paths and ".." steps that leave the model's directory are refused, so a
// model cannot make us map arbitrary files. Symlinks are followed on
// purpose: model hubs (e.g. the Hugging Face cache) store files as symlinks
// into a blob directory, and resolving them would refuse those models.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"
#include "onnx/mapped_file.h"

namespace fastserve {

class ExternalDataFiles {
 public:
  // `base_dir`: the model's directory ("." for a model in the working directory).
  explicit ExternalDataFiles(std::string base_dir) : base_dir_(std::move(base_dir)) {}

  // The mapped file at `location` (relative to base_dir), mapped on first use.
  // Errors: invalid or escaping location or empty file (kInvalidModel),
  // missing file (kNotFound), unreadable file (kInvalidArgument).
  Result<std::shared_ptr<const MappedFile>> open(std::string_view location);

  // Owners of every file mapped so far (for Model::mappings).
  std::vector<std::shared_ptr<const void>> owners() const;
  // (data, size) of each mapped file.
  std::vector<std::pair<const void*, size_t>> ranges() const;

 private:
  std::string base_dir_;
  std::map<std::string, std::shared_ptr<const MappedFile>, std::less<>> files_;  // by normalized location
};

// Lexically normalizes a relative location ("a/./b/../c.bin" -> "a/c.bin").
// Errors for empty, absolute, NUL-containing, or directory-escaping paths.
Result<std::string> normalize_external_location(std::string_view location);

}  // namespace fastserve
