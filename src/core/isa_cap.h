// Internal to src/core: how FASTSERVE_MAX_ISA caps the detected ISA. Split
// out of host_isa() (which reads the environment once) so tests can check
// every value without re-executing the process.
#pragma once

#include "core/cpu_features.h"

namespace fastserve {

// min(detected, parse_isa(max_isa)) when max_isa is a valid name; detected
// when max_isa is null or empty. An invalid name leaves detected unchanged
// and sets *invalid (the caller warns once).
Isa apply_isa_cap(Isa detected, const char* max_isa, bool* invalid);

}  // namespace fastserve
