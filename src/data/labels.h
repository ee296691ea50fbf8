// Class label files: one label per line, line i naming class i.
//
// A model can name its label file in metadata_props ("fastserve.labels"),
// relative to the folder holding the model (models/fashion_mnist_labels.txt).
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "fastserve/status.h"

namespace fastserve {

inline constexpr std::string_view kMetaLabels = "fastserve.labels";

// Reads a label file. Strips a trailing '\r' (CRLF files) and a UTF-8 BOM;
// drops trailing empty lines (a final newline is not a class). Errors:
// kNotFound (names the file), kInvalidArgument for an empty file.
Result<std::vector<std::string>> read_labels(const std::string& path);

// The label file a model names in its metadata, resolved against the model's
// folder; "" when the model names none. Absolute paths are kept as they are.
std::string model_labels_path(const std::map<std::string, std::string>& metadata, const std::string& model_path);

// Label for class `index`: labels[index], or "class <index>" when out of range.
std::string label_for(const std::vector<std::string>& labels, int64_t index);

}  // namespace fastserve
