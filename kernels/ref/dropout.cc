// Reference Dropout (any dtype at inference; f32, f64, f16, bf16 in training
// mode).
//
// Inference (training_mode absent or false; always before opset 12): output 0
// is input 0 byte for byte, the optional mask output is all true, and the
// ratio (attribute before 12, input 1 from 12) has no effect.
//
// Training mode (input 2 true, opset 12+): element i is kept when the i-th
// uniform draw u_i in [0, 1) satisfies u_i >= ratio; kept elements are scaled
// by 1 / (1 - ratio) (computed in the element's compute type, as numpy does
// for a float32 ratio), dropped ones become 0 * x (so a negative x gives -0,
// like the reference's mask * X * scale). The draws are those of
// numpy.random.RandomState(seed).uniform(0, 1, X.shape), the generator ONNX's
// reference uses: MT19937 seeded by init_genrand(seed) (std::mt19937(seed)),
// each draw (a >> 5, b >> 6) of two 32-bit outputs as (a * 2^26 + b) / 2^53.
// With the `seed` attribute the mask is therefore a function of the seed (the
// same on every run, and the ONNX node tests' expected outputs reproduce);
// a seed outside [0, 2^32) uses its low 32 bits. Without it every run draws
// a fresh seed. ratio must be in [0, 1); ratio 0 keeps everything.
#include <algorithm>
#include <atomic>
#include <cstring>
#include <memory>
#include <random>
#include <string>

#include "kernels/ref/compute_type.h"
#include "kernels/ref/elementwise_ref.h"
#include "kernels/ref/typed_registration.h"
#include "runtime/kernel_registry.h"

namespace fastserve {
namespace {

bool training_mode_on(const KernelContext& ctx) {
  if (ctx.inputs.size() <= 2 || ctx.inputs[2] == nullptr) return false;
  const Tensor& t = *ctx.inputs[2];
  return t.numel() == 1 && t.element_as_int64(0) != 0;
}

// numpy.random.RandomState's legacy uniform doubles on [0, 1).
class NumpyUniform {
 public:
  explicit NumpyUniform(uint32_t seed) : mt_(seed) {}
  double next() {
    const double a = static_cast<double>(mt_() >> 5), b = static_cast<double>(mt_() >> 6);
    return (a * 67108864.0 + b) / 9007199254740992.0;
  }

 private:
  std::mt19937 mt_;
};

// A seed per run for nodes without one: distinct across runs and threads.
uint32_t fresh_seed() {
  static std::atomic<uint64_t> counter{std::random_device{}()};
  uint64_t z = counter.fetch_add(0x9E3779B97F4A7C15ull) + 0x9E3779B97F4A7C15ull;  // splitmix64
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return static_cast<uint32_t>(z ^ (z >> 31));
}

template <typename T>
Status run_training(const KernelContext& ctx, double ratio) {
  using C = compute_t<T>;
  const Tensor& x = *ctx.inputs[0];
  const T* px = x.data<T>();
  T* py = ctx.outputs[0]->data<T>();
  bool* mask = ctx.outputs.size() > 1 && ctx.outputs[1] != nullptr ? ctx.outputs[1]->data<bool>() : nullptr;
  const Attribute* seed_attr = ctx.node.attr("seed");
  NumpyUniform uniform(seed_attr != nullptr ? static_cast<uint32_t>(seed_attr->i) : fresh_seed());
  const C scale = C{1} / (C{1} - static_cast<C>(ratio));
  for (int64_t i = 0; i < x.numel(); ++i) {
    // Ratio 0 keeps everything without drawing (the reference skips the draws too).
    const bool keep = ratio == 0 || uniform.next() >= ratio;
    py[i] = from_compute<T>(static_cast<C>(keep) * to_compute(px[i]) * (ratio == 0 ? C{1} : scale));
    if (mask != nullptr) mask[i] = keep;
  }
  return ok_status();
}

Status run_dropout(const KernelContext& ctx) {
  Tensor* mask = ctx.outputs.size() > 1 ? ctx.outputs[1] : nullptr;
  if (!training_mode_on(ctx)) {
    const Tensor& x = *ctx.inputs[0];
    FS_CHECK(x.nbytes() == ctx.outputs[0]->nbytes());
    if (x.nbytes() > 0) std::memcpy(ctx.outputs[0]->raw_data(), x.raw_data(), x.nbytes());
    if (mask != nullptr) std::fill(mask->data<bool>(), mask->data<bool>() + mask->numel(), true);
    return ok_status();
  }
  double ratio = 0.5;
  if (ctx.inputs.size() > 1 && ctx.inputs[1] != nullptr) {
    if (ctx.inputs[1]->numel() != 1)
      return ctx.node.error(StatusCode::kInvalidArgument, "ratio must be a scalar");
    ratio = ctx.inputs[1]->element_as_double(0);
  }
  if (!(ratio >= 0 && ratio < 1)) {
    return ctx.node.error(StatusCode::kInvalidArgument,
                          "ratio must be in [0, 1) in training mode, got " + std::to_string(ratio));
  }
  const DType dt = ctx.inputs[0]->dtype();
  return visit_dtype<RefFloatTypes>(
      dt, [&]<typename T>() { return run_training<T>(ctx, ratio); },
      [&] {
        return ctx.node.error(
            StatusCode::kUnsupported,
            std::string("training_mode=true on ") + dtype_name(dt) + " is not supported (float types only)");
      });
}

}  // namespace

void register_ref_dropout_kernels(KernelRegistry& r) {
  r.add({.name = "dropout__ref", .op_type = "Dropout", .dtype = DType::kUndefined, .run = run_dropout});
}

}  // namespace fastserve
