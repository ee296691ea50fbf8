// Resolving a model's image spec (metadata, flags, shape) and applying it.
#include "data/image_preprocess.h"

#include <charconv>
#include <cmath>

namespace fastserve {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

const std::string* find_meta(const std::map<std::string, std::string>& metadata, std::string_view key) {
  auto it = metadata.find(std::string(key));
  return it == metadata.end() ? nullptr : &it->second;
}

Result<int> parse_positive_int(std::string_view text, std::string_view key) {
  std::string_view t = trim(text);
  int v = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || ptr != t.data() + t.size() || v <= 0) {
    return invalid_argument("model metadata " + std::string(key) + "='" + std::string(text) +
                            "' is not a positive integer");
  }
  return v;
}

Result<bool> parse_bool(std::string_view text, std::string_view key) {
  std::string_view t = trim(text);
  if (t == "true" || t == "1" || t == "True" || t == "TRUE") return true;
  if (t == "false" || t == "0" || t == "False" || t == "FALSE") return false;
  return invalid_argument("model metadata " + std::string(key) + "='" + std::string(text) +
                          "' is not true or false");
}

// Dim of a rank-4 shape, or -1 when the shape or the dim is unknown.
int64_t static_dim(const Shape& shape, size_t i) { return i < shape.rank() ? shape[i] : kUnknownDim; }

// Fills `*value` from metadata key, else from the static dim; checks they agree.
Status resolve_dim(const std::map<std::string, std::string>& metadata, std::string_view key,
                   int64_t shape_dim, const std::string& input_name, const Shape& input_shape,
                   const char* what, int* value) {
  if (const std::string* text = find_meta(metadata, key)) {
    FS_ASSIGN_OR_RETURN(*value, parse_positive_int(*text, key));
    if (shape_dim != kUnknownDim && shape_dim != *value) {
      return invalid_argument("model metadata " + std::string(key) + "=" + std::to_string(*value) +
                              " contradicts input '" + input_name + "' shape " + input_shape.to_string());
    }
    return ok_status();
  }
  if (shape_dim == kUnknownDim || shape_dim <= 0) {
    return invalid_argument("model input '" + input_name + "' has shape " + input_shape.to_string() +
                            ": its image " + what + " is unknown (set metadata " + std::string(key) + ")");
  }
  if (shape_dim > (1 << 16)) {
    return invalid_argument("model input '" + input_name + "' has shape " + input_shape.to_string() +
                            ": image " + what + " " + std::to_string(shape_dim) + " is too large");
  }
  *value = static_cast<int>(shape_dim);
  return ok_status();
}

}  // namespace

Result<std::vector<float>> parse_float_list(std::string_view text, std::string_view what) {
  std::vector<float> out;
  std::string_view rest = text;
  while (true) {
    size_t comma = rest.find(',');
    std::string_view item = trim(rest.substr(0, comma));
    float v = 0.f;
    auto [ptr, ec] = std::from_chars(item.data(), item.data() + item.size(), v);
    if (item.empty() || ec != std::errc() || ptr != item.data() + item.size() || !std::isfinite(v)) {
      return invalid_argument(std::string(what) + " '" + std::string(text) +
                              "' is not a number or a comma-separated list of numbers");
    }
    out.push_back(v);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return out;
}

Result<ImageSpec> resolve_image_spec(const std::map<std::string, std::string>& metadata,
                                     const std::string& input_name, const Shape& input_shape,
                                     const ImageSpecOverrides& overrides) {
  ImageSpec spec;
  // An unknown rank (empty shape from a model without shape info) is allowed
  // as long as the metadata tells everything.
  if (input_shape.rank() != 0 && input_shape.rank() != 4) {
    return invalid_argument("model input '" + input_name + "' has shape " + input_shape.to_string() +
                            "; an image needs a rank-4 input (NCHW or NHWC)");
  }

  if (const std::string* text = find_meta(metadata, kMetaImageLayout)) {
    std::string_view t = trim(*text);
    if (t == "NCHW") {
      spec.layout = TensorLayout::kNCHW;
    } else if (t == "NHWC") {
      spec.layout = TensorLayout::kNHWC;
    } else {
      return invalid_argument("model metadata " + std::string(kMetaImageLayout) + "='" + *text +
                              "' is not NCHW or NHWC");
    }
  } else {
    // Guess from the shape: channels-first unless only the last dim looks like channels.
    auto is_channels = [](int64_t d) { return d == 1 || d == 3; };
    bool nhwc = !is_channels(static_dim(input_shape, 1)) && is_channels(static_dim(input_shape, 3));
    spec.layout = nhwc ? TensorLayout::kNHWC : TensorLayout::kNCHW;
  }
  const bool nchw = spec.layout == TensorLayout::kNCHW;
  const size_t c_axis = nchw ? 1 : 3, h_axis = nchw ? 2 : 1, w_axis = nchw ? 3 : 2;
  FS_RETURN_IF_ERROR(resolve_dim(metadata, kMetaImageChannels, static_dim(input_shape, c_axis), input_name,
                                 input_shape, "channel count", &spec.channels));
  FS_RETURN_IF_ERROR(resolve_dim(metadata, kMetaImageHeight, static_dim(input_shape, h_axis), input_name,
                                 input_shape, "height", &spec.height));
  FS_RETURN_IF_ERROR(resolve_dim(metadata, kMetaImageWidth, static_dim(input_shape, w_axis), input_name,
                                 input_shape, "width", &spec.width));
  if (spec.channels != 1 && spec.channels != 3) {
    return invalid_argument("model input '" + input_name + "' wants " + std::to_string(spec.channels) +
                            " image channels; only 1 (grey) and 3 (RGB) are supported");
  }

  const std::string* mean_text = find_meta(metadata, kMetaImageMean);
  const std::string* std_text = find_meta(metadata, kMetaImageStd);
  if (overrides.mean) {
    spec.norm.mean = *overrides.mean;
  } else if (mean_text) {
    FS_ASSIGN_OR_RETURN(spec.norm.mean, parse_float_list(*mean_text, "model metadata fastserve.image.mean"));
  }
  if (overrides.std) {
    spec.norm.std = *overrides.std;
  } else if (std_text) {
    FS_ASSIGN_OR_RETURN(spec.norm.std, parse_float_list(*std_text, "model metadata fastserve.image.std"));
  }
  if (!overrides.mean && !overrides.std && !mean_text && !std_text) {
    spec.warnings.push_back("model has no " + std::string(kMetaImageMean) + "/" + std::string(kMetaImageStd) +
                            " metadata: feeding input '" + input_name +
                            "' pixel/255 (mean 0, std 1); use --mean/--std if it was trained otherwise");
  }
  auto count_ok = [&](size_t n) { return n == 1 || n == static_cast<size_t>(spec.channels); };
  if (!count_ok(spec.norm.mean.size()) || !count_ok(spec.norm.std.size())) {
    return invalid_argument("image mean/std need 1 or " + std::to_string(spec.channels) +
                            " values for input '" + input_name + "', got " +
                            std::to_string(spec.norm.mean.size()) + " and " +
                            std::to_string(spec.norm.std.size()));
  }
  for (float s : spec.norm.std) {
    if (s == 0.f) return invalid_argument("image std must not be 0 (input '" + input_name + "')");
  }

  if (overrides.invert) {
    spec.norm.invert = *overrides.invert;
  } else if (const std::string* text = find_meta(metadata, kMetaImageInvert)) {
    FS_ASSIGN_OR_RETURN(spec.norm.invert, parse_bool(*text, kMetaImageInvert));
  }
  return spec;
}

Status preprocess_image(const Image& image, const ImageSpec& spec, ResizePolicy policy,
                        const std::string& image_name, const std::string& input_name, float* out) {
  Image converted = convert_channels(image, spec.channels);
  if (converted.width != spec.width || converted.height != spec.height) {
    if (policy == ResizePolicy::kNever) {
      return invalid_argument(image_name + " is " + std::to_string(image.width) + "x" +
                              std::to_string(image.height) + ", model '" + input_name + "' expects " +
                              std::to_string(spec.width) + "x" + std::to_string(spec.height) +
                              " (use --resize auto)");
    }
    FS_ASSIGN_OR_RETURN(converted, resize_bilinear(converted, spec.width, spec.height));
  }
  return write_normalized(converted, spec.layout, spec.norm, out).with_context(image_name);
}

Result<Tensor> preprocess_image_to_tensor(const Image& image, const ImageSpec& spec, ResizePolicy policy,
                                          const std::string& image_name, const std::string& input_name) {
  Shape shape = spec.layout == TensorLayout::kNCHW ? Shape{1, spec.channels, spec.height, spec.width}
                                                    : Shape{1, spec.height, spec.width, spec.channels};
  Tensor t = Tensor::empty(DType::kF32, shape);
  FS_RETURN_IF_ERROR(preprocess_image(image, spec, policy, image_name, input_name, t.data<float>()));
  return t;
}

}  // namespace fastserve
