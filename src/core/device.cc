// Device names: "cpu", "cuda", "cuda:N".
#include "core/device.h"

#include <climits>

namespace fastserve {

const char* device_name(Device d) {
  switch (d) {
    case Device::kCpu: return "cpu";
    case Device::kCuda: return "cuda";
  }
  return "unknown";
}

Result<Device> parse_device(const std::string& s, int* index) {
  auto bad = [&] {
    return invalid_argument("unknown device '" + s + "' (expected cpu, cuda or cuda:N with N >= 0)");
  };
  int idx = 0;
  Device dev;
  if (s == "cpu") {
    dev = Device::kCpu;
  } else if (s == "cuda") {
    dev = Device::kCuda;
  } else if (s.rfind("cuda:", 0) == 0) {
    const std::string digits = s.substr(5);
    if (digits.empty() || digits.size() > 9) return bad();  // 9 digits always fit in an int
    for (char c : digits) {
      if (c < '0' || c > '9') return bad();
    }
    idx = std::stoi(digits);
    dev = Device::kCuda;
  } else {
    return bad();
  }
  if (index != nullptr) *index = idx;
  return dev;
}

}  // namespace fastserve
