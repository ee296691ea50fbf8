// Kernel-name tags per dtype and the interned "<stem>_<tag>__ref" names.
#include "kernels/ref/typed_registration.h"

#include <deque>
#include <mutex>
#include <string>

namespace fastserve {

const char* dtype_tag(DType dt) {
  switch (dt) {
    case DType::kF32:
      return "f32";
    case DType::kF64:
      return "f64";
    case DType::kF16:
      return "f16";
    case DType::kBF16:
      return "bf16";
    case DType::kI8:
      return "i8";
    case DType::kI16:
      return "i16";
    case DType::kI32:
      return "i32";
    case DType::kI64:
      return "i64";
    case DType::kU8:
      return "u8";
    case DType::kU16:
      return "u16";
    case DType::kU32:
      return "u32";
    case DType::kU64:
      return "u64";
    case DType::kBool:
      return "bool";
    default:
      break;
  }
  return "any";
}

const char* ref_kernel_name(std::string_view stem, DType dt) {
  // A deque never moves its elements, so the c_str() pointers stay valid.
  // Registration runs once per registry; a scan for an existing name is fine.
  static std::mutex mu;
  static std::deque<std::string> names;
  const std::string name = std::string(stem) + "_" + dtype_tag(dt) + "__ref";
  std::lock_guard<std::mutex> lock(mu);
  for (const std::string& n : names) {
    if (n == name) return n.c_str();
  }
  return names.emplace_back(name).c_str();
}

}  // namespace fastserve
