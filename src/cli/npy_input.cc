// .npy model inputs (see npy_input.h).
#include "cli/npy_input.h"

#include <filesystem>
#include <system_error>

#include "cli/cli_common.h"
#include "core/npy.h"

namespace fastserve::cli {

Result<Tensor> load_npy_input(const std::string& file, const IoInfo& info) {
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) return not_found(file + ": no such file");
  FS_ASSIGN_OR_RETURN(Tensor t, read_npy(file));
  const std::string expected =
      dtype_name(info.dtype) + format_shape(info.shape_known, info.shape, info.dim_params);
  if (t.dtype() != info.dtype) {
    return invalid_argument(file + ": dtype " + dtype_name(t.dtype()) + " does not match model input '" +
                            info.name + "' " + expected);
  }
  bool match = !info.shape_known || t.rank() == info.shape.rank();
  for (size_t i = 0; match && info.shape_known && i < t.rank(); ++i) {
    match = info.shape[i] == kUnknownDim || info.shape[i] == t.dim(i);
  }
  if (!match) {
    return invalid_argument(file + ": shape " + t.shape().to_string() + " does not match model input '" +
                            info.name + "' " + expected);
  }
  return t;
}

}  // namespace fastserve::cli
