// A node attribute as ONNX defines it (AttributeProto), minus subgraphs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fastserve/tensor.h"

namespace fastserve {

struct Attribute {
  enum class Kind { kUndefined, kFloat, kInt, kString, kTensor, kFloats, kInts, kStrings, kGraph };
  std::string name;
  Kind kind = Kind::kUndefined;
  float f = 0.f;
  int64_t i = 0;
  std::string s;  // also holds raw bytes for kString
  Tensor t;
  std::vector<float> floats;
  std::vector<int64_t> ints;
  std::vector<std::string> strings;
};

const char* attribute_kind_name(Attribute::Kind k);

}  // namespace fastserve
