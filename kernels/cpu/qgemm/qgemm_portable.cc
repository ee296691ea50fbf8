// qgemm_u8s8s32__portable: the INT8 tile in plain loops over the packed
// layouts of qgemm.h (any CPU; the compiler may vectorize the inner loop).
#include <cstring>

#include "kernels/cpu/qgemm/qgemm.h"

namespace fastserve {
namespace {

void tile_portable(int64_t k4, const uint8_t* a, const int8_t* b, int32_t* c, int64_t ldc, int mm, int nn,
                   bool accumulate) {
  int32_t acc[kQMr][kQNr] = {};
  for (int64_t g = 0; g < k4; ++g) {
    const uint8_t* ag = a + g * kQMr * 4;
    const int8_t* bg = b + g * kQNr * 4;
    for (int r = 0; r < mm; ++r) {
      for (int j = 0; j < kQNr; ++j) {
        int32_t s = 0;
        for (int q = 0; q < 4; ++q) s += int32_t{ag[r * 4 + q]} * int32_t{bg[j * 4 + q]};
        acc[r][j] += s;
      }
    }
  }
  for (int r = 0; r < mm; ++r) {
    for (int j = 0; j < nn; ++j) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
  }
}

}  // namespace

const QGemmUkernel kQGemmUkernelPortable = {.name = "qgemm_u8s8s32__portable", .isa = Isa::kScalar,
                                            .tile = &tile_portable};

}  // namespace fastserve
