// resize_f32__ref: reference Resize (opsets 11-19), FP32, any rank;
// resize_nearest_any__ref: mode nearest on the other types (an element copy).
//
// Separable interpolation written as a direct sum: along each dim an output
// index o maps to a source coordinate x (coordinate_transformation_mode,
// graph/resize_geometry.h) and to 1 (nearest), 2 (linear) or 4 (cubic)
// source taps with weights; an output element is the sum over every
// combination of its dims' taps of the product of weights times the input
// element. Taps outside the input clamp to the edge (the ONNX reference pads
// with edge values); tf_crop_and_resize coordinates outside [0, in-1] give
// extrapolation_value. Dims the op leaves unchanged (scale 1, same size,
// roi [0, 1]) are skipped, as the ONNX reference does.
// antialias = 1 (opset 18+, linear and cubic) widens the filter when
// downsampling: with s = min(scale, 1) the taps are floor(x) + j for j in
// [floor(-R/s) + 1, 1 - floor(-R/s)) (R = 1 linear, 2 cubic), weighted by the
// kernel at (tap - x) * s and normalized to sum 1. antialias with nearest is
// an error in the ONNX reference; accepts() refuses it.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>

#include "graph/resize_geometry.h"
#include "kernels/ref/nn_ref.h"

namespace fastserve {
namespace {

struct Tap {
  int64_t index;
  double weight;
};

// The taps of one output index along one dim; `outside` for tf_crop_and_resize extrapolation.
struct AxisSample {
  std::vector<Tap> taps;
  bool outside = false;
};

int64_t clamp_index(int64_t i, int64_t in) { return std::clamp<int64_t>(i, 0, in - 1); }

// Cubic convolution weights (Keys, "Cubic convolution interpolation for
// digital image processing", 1981) for taps x0-1 .. x0+2 at fraction t.
void cubic_weights(double t, double a, double w[4]) {
  const double t1 = t + 1, s = 1 - t, s1 = 2 - t;
  w[0] = ((a * t1 - 5 * a) * t1 + 8 * a) * t1 - 4 * a;
  w[1] = ((a + 2) * t - (a + 3)) * t * t + 1;
  w[2] = ((a + 2) * s - (a + 3)) * s * s + 1;
  w[3] = ((a * s1 - 5 * a) * s1 + 8 * a) * s1 - 4 * a;
}

// Keys' cubic kernel by signed distance (the antialias form evaluates it at scaled distances).
double cubic_kernel(double d, double a) {
  d = std::fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

// Antialiased linear / cubic taps (see the file comment).
void antialias_taps(const ResizeAttrs& attrs, double x, int64_t in, double scale, AxisSample& s) {
  const double sc = std::min(scale, 1.0);
  const double radius = attrs.mode == ResizeMode::kLinear ? 1.0 : 2.0;
  const auto start = static_cast<int64_t>(std::floor(-radius / sc)) + 1;
  const auto x0 = static_cast<int64_t>(std::floor(x));
  double sum = 0;
  for (int64_t j = start; j < 2 - start; ++j) {
    const int64_t i = x0 + j;
    const double d = (static_cast<double>(i) - x) * sc;
    double w = attrs.mode == ResizeMode::kLinear ? std::max(0.0, 1 - std::fabs(d)) : cubic_kernel(d, attrs.cubic_coeff_a);
    if (attrs.exclude_outside && (i < 0 || i >= in)) w = 0;
    sum += w;
    s.taps.push_back({clamp_index(i, in), w});
  }
  if (sum != 0) {
    for (Tap& t : s.taps) t.weight /= sum;
  }
}

AxisSample sample_axis(const ResizeAttrs& attrs, double x, int64_t in, double scale) {
  AxisSample s;
  if (attrs.coord == ResizeCoord::kTfCropAndResize && (x < 0 || x > static_cast<double>(in - 1))) {
    s.outside = true;
    return s;
  }
  if (attrs.antialias && attrs.mode != ResizeMode::kNearest) {
    antialias_taps(attrs, x, in, scale, s);
    return s;
  }
  const double fl = std::floor(x);
  const auto x0 = static_cast<int64_t>(fl);
  const double t = x - fl;
  switch (attrs.mode) {
    case ResizeMode::kNearest: {
      bool up = false;  // take x0 + 1 rather than x0
      if (t != 0) {
        switch (attrs.nearest) {
          case ResizeNearest::kRoundPreferFloor: up = t > 0.5; break;
          case ResizeNearest::kRoundPreferCeil: up = t >= 0.5; break;
          case ResizeNearest::kFloor: up = false; break;
          case ResizeNearest::kCeil: up = true; break;
        }
      }
      s.taps.push_back({clamp_index(x0 + (up ? 1 : 0), in), 1.0});
      break;
    }
    case ResizeMode::kLinear:
      s.taps.push_back({clamp_index(x0, in), 1 - t});
      s.taps.push_back({clamp_index(x0 + 1, in), t});
      break;
    case ResizeMode::kCubic: {
      double w[4];
      cubic_weights(t, attrs.cubic_coeff_a, w);
      double sum = 0;
      for (int k = 0; k < 4; ++k) {
        const int64_t i = x0 - 1 + k;
        if (attrs.exclude_outside && (i < 0 || i >= in)) w[k] = 0;
        sum += w[k];
      }
      for (int k = 0; k < 4; ++k) {
        s.taps.push_back({clamp_index(x0 - 1 + k, in), attrs.exclude_outside && sum != 0 ? w[k] / sum : w[k]});
      }
      break;
    }
  }
  return s;
}

bool is_identity_dim(const ResizeGeometry& g, size_t d, int64_t in) {
  return std::fabs(g.scales[d] - 1.0) <= 1e-9 && g.out_dims[d] == in && std::fabs(g.roi_start[d]) <= 1e-9 &&
         std::fabs(g.roi_end[d] - 1.0) <= 1e-9;
}

const Tensor* optional_input(const KernelContext& ctx, size_t i) {
  if (i >= ctx.inputs.size() || ctx.inputs[i] == nullptr || ctx.inputs[i]->numel() == 0) return nullptr;
  return ctx.inputs[i];
}

// Sum over tap combinations of dims [d, rank): weight product times x.
double gather(const std::vector<const AxisSample*>& at, const std::vector<int64_t>& strides, const float* x, size_t d,
              int64_t offset) {
  if (d == at.size()) return x[offset];
  double sum = 0;
  for (const Tap& t : at[d]->taps) {
    if (t.weight != 0) sum += t.weight * gather(at, strides, x, d + 1, offset + t.index * strides[d]);
  }
  return sum;
}

Status prepare_resize(const NodeView& node, PrepareContext& ctx) {
  FS_ASSIGN_OR_RETURN(ResizeAttrs attrs, parse_resize_attrs(node));
  ctx.state = std::make_shared<ResizeAttrs>(std::move(attrs));
  return ok_status();
}

bool accepts_resize(const NodeView& node) {
  return node.opset() < 18 || node.attr_int("antialias", 0) == 0 || node.attr_string("mode", "nearest") != "nearest";
}

Status run_resize(const KernelContext& ctx) {
  const ResizeAttrs& attrs = ctx.state_as<ResizeAttrs>();
  const Tensor& x = *ctx.inputs[0];
  Tensor& y = *ctx.outputs[0];
  FS_ASSIGN_OR_RETURN(const ResizeGeometry g,
                      resize_geometry(ctx.node, attrs, x.shape().dims(), optional_input(ctx, 1),
                                      optional_input(ctx, 2), optional_input(ctx, 3)));
  if (Shape(g.out_dims) != y.shape()) {
    return ctx.node.error(StatusCode::kInternal, "output shape " + y.shape().to_string() + " differs from " +
                                                     Shape(g.out_dims).to_string());
  }
  const size_t rank = x.rank();
  // Per dim, per output index: its taps.
  std::vector<std::vector<AxisSample>> samples(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = x.dim(d), out = g.out_dims[d];
    const bool identity = is_identity_dim(g, d, in);
    for (int64_t o = 0; o < out; ++o) {
      if (identity) {
        samples[d].push_back(AxisSample{{{o, 1.0}}, false});
        continue;
      }
      const double src =
          resize_source_coord(attrs.coord, static_cast<double>(o), in, out, g.scales[d], g.roi_start[d], g.roi_end[d]);
      samples[d].push_back(sample_axis(attrs, src, in, g.scales[d]));
    }
  }
  if (y.numel() == 0) return ok_status();
  const std::vector<int64_t> strides = [&] {
    std::vector<int64_t> s(rank, 1);
    for (size_t d = rank; d-- > 1;) s[d - 1] = s[d] * x.dim(d);
    return s;
  }();
  std::vector<int64_t> idx(rank, 0);
  std::vector<const AxisSample*> at(rank);
  int64_t flat = 0;
  if (x.dtype() != DType::kF32) {
    // Nearest on any type (accepts_resize_any): one tap per dim, a copy of
    // the element's bytes.
    const size_t bytes = dtype_size(x.dtype());
    const auto* px = static_cast<const unsigned char*>(x.raw_data());
    auto* py = static_cast<unsigned char*>(y.raw_data());
    do {
      int64_t off = 0;
      for (size_t d = 0; d < rank; ++d) off += samples[d][static_cast<size_t>(idx[d])].taps[0].index * strides[d];
      std::memcpy(py + static_cast<size_t>(flat++) * bytes, px + static_cast<size_t>(off) * bytes, bytes);
    } while (ref_next_index(idx, g.out_dims));
    return ok_status();
  }
  const float* px = x.data<float>();
  float* py = y.data<float>();
  do {
    bool outside = false;
    for (size_t d = 0; d < rank; ++d) {
      at[d] = &samples[d][static_cast<size_t>(idx[d])];
      outside = outside || at[d]->outside;
    }
    py[flat++] = outside ? attrs.extrapolation_value : static_cast<float>(gather(at, strides, px, 0, 0));
  } while (ref_next_index(idx, g.out_dims));
  return ok_status();
}

// Other types: nearest only (a copy, exact for every type), and not
// tf_crop_and_resize, whose extrapolation_value would need a typed store.
bool accepts_resize_any(const NodeView& node) {
  const DType t = node.input_dtype(0);
  return t != DType::kF32 && t != DType::kString && dtype_size(t) > 0 &&
         node.attr_string("mode", "nearest") == "nearest" &&
         node.attr_string("coordinate_transformation_mode", "half_pixel") != "tf_crop_and_resize" &&
         (node.opset() < 18 || node.attr_int("antialias", 0) == 0);
}

}  // namespace

void register_ref_resize_kernels(KernelRegistry& r) {
  r.add(KernelDesc{.name = "resize_f32__ref", .op_type = "Resize", .since_version = 11, .dtype = DType::kF32,
                   .accepts = &accepts_resize, .prepare = &prepare_resize, .run = &run_resize});
  r.add(KernelDesc{.name = "resize_nearest_any__ref", .op_type = "Resize", .since_version = 11,
                   .dtype = DType::kUndefined, .accepts = &accepts_resize_any, .prepare = &prepare_resize,
                   .run = &run_resize});
}

}  // namespace fastserve
