// Reading a model input from a .npy file, checked against what the model
// declares (used by `run` and `bench`).
#pragma once

#include <string>

#include "fastserve/session.h"

namespace fastserve::cli {

// The tensor in `file`, which must exist (kNotFound) and have the input's
// dtype, rank and static dims (kInvalidArgument naming the file and input).
Result<Tensor> load_npy_input(const std::string& file, const IoInfo& info);

}  // namespace fastserve::cli
