// kernels/ref/typed_registration.h and compute_type.h: names, type lists,
// run-time dtype dispatch, and the 16-bit float load/store round trip.
#include "kernels/ref/typed_registration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "kernels/ref/compute_type.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

TEST(TypedRegistration, NamesFollowTheConventionAndAreInterned) {
  const char* a = ref_kernel_name("add", DType::kU8);
  EXPECT_STREQ(a, "add_u8__ref");
  EXPECT_EQ(ref_kernel_name("add", DType::kU8), a);  // same pointer
  EXPECT_STREQ(ref_kernel_name("max_pool", DType::kBF16), "max_pool_bf16__ref");
  EXPECT_STREQ(ref_kernel_name("reduce_max", DType::kBool), "reduce_max_bool__ref");
  EXPECT_STREQ(dtype_tag(DType::kF16), "f16");
  EXPECT_STREQ(dtype_tag(DType::kI64), "i64");
  EXPECT_STREQ(dtype_tag(DType::kUndefined), "any");
}

TEST(TypedRegistration, ForEachTypeVisitsTheListInOrder) {
  std::vector<DType> seen;
  for_each_type<RefFloatTypes>([&]<typename T>() { seen.push_back(DTypeOf<T>::value); });
  EXPECT_EQ(seen, (std::vector<DType>{DType::kF32, DType::kF64, DType::kF16, DType::kBF16}));
}

TEST(TypedRegistration, VisitDtypeDispatchesOrFallsBack) {
  auto size_of = [](DType dt) {
    return visit_dtype<RefNumericTypes>(
        dt, []<typename T>() { return static_cast<int>(sizeof(T)); }, [] { return -1; });
  };
  EXPECT_EQ(size_of(DType::kU16), 2);
  EXPECT_EQ(size_of(DType::kBF16), 2);
  EXPECT_EQ(size_of(DType::kF64), 8);
  EXPECT_EQ(size_of(DType::kBool), -1);  // not in the list
  EXPECT_EQ(size_of(DType::kString), -1);
}

// Every registered kernel name is unique: interning must not merge two kernels.
TEST(TypedRegistration, RegistryNamesAreUnique) {
  std::vector<std::string> names;
  for (const KernelDesc& d : KernelRegistry::global().all()) {
    names.push_back(std::string(d.provider) + "/" + d.name + "/" + d.op_type + "/" +
                    std::to_string(d.since_version));
  }
  std::sort(names.begin(), names.end());
  EXPECT_EQ(std::adjacent_find(names.begin(), names.end()), names.end());
}

TEST(ComputeType, SixteenBitFloatsComputeInFloatAndRoundToNearestEven) {
  static_assert(std::is_same_v<compute_t<Half>, float>);
  static_assert(std::is_same_v<compute_t<BFloat16>, float>);
  static_assert(std::is_same_v<compute_t<int8_t>, int8_t>);
  static_assert(kIsFloatStorage<Half> && kIsFloatStorage<double> && !kIsFloatStorage<uint64_t>);
  EXPECT_EQ(to_compute(Half{0x3C00}), 1.0f);
  EXPECT_EQ(to_compute(BFloat16{0x3F80}), 1.0f);
  // 1 + 2^-11 is halfway between two halves: ties go to the even one (1.0).
  EXPECT_EQ(from_compute<Half>(1.0f + std::ldexp(1.0f, -11)).bits, 0x3C00);
  EXPECT_EQ(from_compute<Half>(65520.0).bits, 0x7C00);  // rounds past the largest half: inf
  EXPECT_EQ(from_compute<int16_t>(7), 7);
}

}  // namespace
}  // namespace fastserve
