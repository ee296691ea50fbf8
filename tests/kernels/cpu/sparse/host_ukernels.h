// The microkernels of a family the host can run, the portable one first;
// each it cannot is named as skipped (sparse_kernels_test.cc,
// nm24_kernels_test.cc).
#pragma once

#include <initializer_list>
#include <iostream>
#include <vector>

#include "core/cpu_features.h"

namespace fastserve::testing {

template <class U>
std::vector<const U*> host_ukernels(const U* portable, std::initializer_list<const U*> by_isa) {
  std::vector<const U*> out = {portable};
  for (const U* uk : by_isa) {
    if (uk->isa <= host_isa()) {
      out.push_back(uk);
    } else {
      std::cout << "[ SKIPPED  ] " << uk->name << ": the host runs " << isa_name(host_isa()) << "\n";
    }
  }
  return out;
}

}  // namespace fastserve::testing
