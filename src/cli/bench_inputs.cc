// Batch sizes, input shapes and random input data for `fastserve bench`
// (rules in bench_inputs.h).
#include "cli/bench_inputs.h"

#include <charconv>
#include <random>

#include "cli/cli_common.h"

namespace fastserve::cli {
namespace {

std::string input_names(const std::vector<IoInfo>& inputs) {
  std::string s;
  for (const IoInfo& in : inputs) s += (s.empty() ? "" : ", ") + in.name;
  return s.empty() ? "(none)" : s;
}

const IoInfo* find_input(const std::vector<IoInfo>& inputs, std::string_view name) {
  for (const IoInfo& in : inputs) {
    if (in.name == name) return &in;
  }
  return nullptr;
}

std::string declared(const IoInfo& in) {
  return dtype_name(in.dtype) + format_shape(in.shape_known, in.shape, in.dim_params);
}

bool has_symbolic_batch(const IoInfo& in) {
  return in.shape_known && in.shape.rank() >= 1 && in.shape[0] == kUnknownDim;
}

std::string dim_label(const IoInfo& in, size_t d) {
  const bool named = d < in.dim_params.size() && !in.dim_params[d].empty();
  return "dim " + std::to_string(d) + (named ? " ('" + in.dim_params[d] + "')" : "");
}

// "1x3xNxN" for the hint in an error: known dims and '?' for the rest.
std::string shape_hint(const IoInfo& in, int64_t batch) {
  std::string s;
  for (size_t d = 0; d < in.shape.rank(); ++d) {
    if (d) s += 'x';
    const int64_t v = d == 0 && in.shape[0] == kUnknownDim ? batch : in.shape[d];
    s += v == kUnknownDim ? "N" : std::to_string(v);
  }
  return s;
}

// The shape random data gets for `in` at batch `b`, or a flag error.
Result<Shape> random_input_shape(const IoInfo& in, int64_t b, const std::map<std::string, Shape>& shapes) {
  auto given = shapes.find(in.name);
  if (!in.shape_known) {
    if (given == shapes.end()) {
      return invalid_argument("input '" + in.name + "' has no declared shape: give one with --shape " +
                              in.name + "=DIMS (e.g. 1x3x224x224)");
    }
    return given->second;
  }
  Shape shape = in.shape;
  if (given != shapes.end()) {
    const Shape& g = given->second;
    if (g.rank() != in.shape.rank()) {
      return invalid_argument("--shape for input '" + in.name + "': " + std::to_string(g.rank()) +
                              " dims, but the input is " + declared(in));
    }
    for (size_t d = 0; d < g.rank(); ++d) {
      if (in.shape[d] != kUnknownDim && in.shape[d] != g[d]) {
        return invalid_argument("--shape for input '" + in.name + "': " + dim_label(in, d) + " is " +
                                std::to_string(g[d]) + ", but the model fixes it at " +
                                std::to_string(in.shape[d]) + " (" + declared(in) + ")");
      }
      shape[d] = g[d];
    }
  }
  if (has_symbolic_batch(in)) shape[0] = b;  // --batch wins over a --shape's dim 0
  for (size_t d = 0; d < shape.rank(); ++d) {
    if (shape[d] == kUnknownDim) {
      return invalid_argument("input '" + in.name + "' " + dim_label(in, d) + " is symbolic (" +
                              declared(in) + "): give its size with --shape " + in.name + "=" +
                              shape_hint(in, b));
    }
  }
  return shape;
}

// Batch sizes to run when --batch is not given (see bench_inputs.h).
int64_t default_batch(const std::vector<IoInfo>& inputs, const std::map<std::string, Shape>& shapes,
                      const std::map<std::string, FileInput>& files) {
  bool dynamic = false;
  for (const IoInfo& in : inputs) dynamic = dynamic || has_symbolic_batch(in);
  if (dynamic) {
    for (const IoInfo& in : inputs) {
      if (!has_symbolic_batch(in)) continue;
      if (auto f = files.find(in.name); f != files.end() && f->second.tensor.rank() >= 1)
        return f->second.tensor.dim(0);
    }
    for (const IoInfo& in : inputs) {
      if (!has_symbolic_batch(in)) continue;
      if (auto s = shapes.find(in.name); s != shapes.end() && s->second.rank() >= 1) return s->second[0];
    }
    return 1;
  }
  for (const IoInfo& in : inputs) {
    if (in.shape_known && in.shape.rank() >= 1) return in.shape[0];
  }
  return 1;
}

// A static-batch model takes only its own batch: name the input that fixes it.
Status check_static_batch(const std::vector<IoInfo>& inputs, int64_t b) {
  for (const IoInfo& in : inputs) {
    if (has_symbolic_batch(in)) return ok_status();
  }
  for (const IoInfo& in : inputs) {
    if (!in.shape_known || in.shape.rank() == 0) continue;
    if (in.shape[0] == b) return ok_status();
    return invalid_argument("--batch " + std::to_string(b) + ": input '" + in.name +
                            "' has a fixed batch of " + std::to_string(in.shape[0]) + " (dim 0 of " +
                            declared(in) + "); this model runs only that batch");
  }
  if (b != 1) {
    return invalid_argument("--batch " + std::to_string(b) +
                            ": the model has no batch dim (no input of rank >= 1 "
                            "with a known shape; inputs: " +
                            input_names(inputs) + ")");
  }
  return ok_status();
}

template <typename T, typename Make>
void fill(Tensor& t, Make make) {
  T* p = t.data<T>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = make();
}

}  // namespace

Result<std::pair<std::string, Shape>> parse_shape_arg(std::string_view arg) {
  const size_t eq = arg.rfind('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == arg.size()) {
    return invalid_argument("'" + std::string(arg) + "': expected NAME=DIMS, e.g. x=1x3x224x224");
  }
  std::vector<int64_t> dims;
  std::string_view rest = arg.substr(eq + 1);
  while (true) {
    const size_t x = rest.find('x');
    const std::string_view part = rest.substr(0, x);
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || v < 1) {
      return invalid_argument("'" + std::string(arg) + "': dim '" + std::string(part) +
                              "' is not a positive integer (expected NAME=DIMS, e.g. x=1x3x224x224)");
    }
    dims.push_back(v);
    if (x == std::string_view::npos) break;
    rest = rest.substr(x + 1);
  }
  return std::make_pair(std::string(arg.substr(0, eq)), Shape(std::move(dims)));
}

Result<std::map<std::string, std::string>> parse_input_args(const std::vector<std::string>& args,
                                                            const std::vector<IoInfo>& inputs) {
  std::map<std::string, std::string> files;
  for (const std::string& arg : args) {
    std::string name, file = arg;
    const size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      name = arg.substr(0, eq);
      file = arg.substr(eq + 1);
      if (!find_input(inputs, name)) {
        return invalid_argument("--input " + arg + ": the model has no input '" + name +
                                "' (inputs: " + input_names(inputs) + ")");
      }
    } else if (inputs.size() == 1) {
      name = inputs[0].name;
    } else {
      return invalid_argument("--input " + arg + ": the model has " + std::to_string(inputs.size()) +
                              " inputs (" + input_names(inputs) + "): give it as --input NAME=FILE.npy");
    }
    if (!files.emplace(name, file).second)
      return invalid_argument("--input: input '" + name + "' given twice");
  }
  return files;
}

Result<std::map<std::string, Shape>> parse_shape_args(const std::vector<std::string>& args,
                                                      const std::vector<IoInfo>& inputs) {
  std::map<std::string, Shape> shapes;
  for (const std::string& arg : args) {
    Result<std::pair<std::string, Shape>> parsed = parse_shape_arg(arg);
    if (!parsed.ok()) return parsed.status().with_context("--shape");
    const std::string& name = parsed->first;
    if (!find_input(inputs, name)) {
      return invalid_argument("--shape " + arg + ": the model has no input '" + name +
                              "' (inputs: " + input_names(inputs) + ")");
    }
    if (!shapes.emplace(name, parsed->second).second) {
      return invalid_argument("--shape: input '" + name + "' given twice");
    }
  }
  return shapes;
}

Result<BenchInputPlan> plan_bench_inputs(const std::vector<IoInfo>& inputs,
                                         const std::vector<int64_t>& batches,
                                         const std::map<std::string, Shape>& shapes,
                                         const std::map<std::string, FileInput>& files) {
  for (const auto& [name, file] : files) {
    if (shapes.count(name)) {
      return invalid_argument("input '" + name + "' has both --input " + file.path +
                              " and --shape; give one");
    }
  }
  BenchInputPlan plan;
  plan.batches = batches.empty() ? std::vector<int64_t>{default_batch(inputs, shapes, files)} : batches;
  for (const int64_t b : plan.batches) {
    if (!batches.empty()) FS_RETURN_IF_ERROR(check_static_batch(inputs, b));
    std::vector<InputSource>& sources = plan.per_batch.emplace_back();
    for (const IoInfo& in : inputs) {
      InputSource src;
      src.info = in;
      if (auto f = files.find(in.name); f != files.end()) {
        const Tensor& t = f->second.tensor;
        if (has_symbolic_batch(in) && t.rank() >= 1 && t.dim(0) != b) {
          return invalid_argument("batch " + std::to_string(b) + ": input '" + in.name + "' comes from " +
                                  f->second.path + ", whose dim 0 is " + std::to_string(t.dim(0)) +
                                  " (give --batch " + std::to_string(t.dim(0)) + " or leave --batch out)");
        }
        src.from_file = true;
        src.file_tensor = t;
        src.shape = t.shape();
      } else {
        FS_ASSIGN_OR_RETURN(src.shape, random_input_shape(in, b, shapes));
      }
      sources.push_back(std::move(src));
    }
  }
  return plan;
}

Result<std::vector<NamedTensor>> make_bench_inputs(const std::vector<InputSource>& sources) {
  std::vector<NamedTensor> out;
  out.reserve(sources.size());
  for (size_t k = 0; k < sources.size(); ++k) {
    const InputSource& src = sources[k];
    if (src.from_file) {
      out.push_back({src.info.name, src.file_tensor});
      continue;
    }
    // One fixed seed per input position: the same data whatever the batch order.
    std::mt19937 rng(0x5eed + static_cast<uint32_t>(k));
    std::uniform_real_distribution<float> real(-1.0f, 1.0f);
    std::uniform_int_distribution<int> bit(0, 1);
    if (!dtype_is_storable(src.info.dtype)) {
      return unsupported("input '" + src.info.name + "' is " + dtype_name(src.info.dtype) +
                         ": bench cannot make random data of this type (give it with --input NAME=FILE.npy)");
    }
    Tensor t = Tensor::empty(src.info.dtype, src.shape);
    switch (src.info.dtype) {
      case DType::kF32:
        fill<float>(t, [&] { return real(rng); });
        break;
      case DType::kF64:
        fill<double>(t, [&] { return static_cast<double>(real(rng)); });
        break;
      case DType::kF16:
        fill<Half>(t, [&] { return Half{float_to_half(real(rng))}; });
        break;
      case DType::kBF16:
        fill<BFloat16>(t, [&] { return BFloat16{float_to_bf16(real(rng))}; });
        break;
      case DType::kBool:
        fill<bool>(t, [&] { return bit(rng) != 0; });
        break;
      case DType::kU8:
        fill<uint8_t>(t, [&] { return static_cast<uint8_t>(bit(rng)); });
        break;
      case DType::kI8:
        fill<int8_t>(t, [&] { return static_cast<int8_t>(bit(rng)); });
        break;
      case DType::kU16:
        fill<uint16_t>(t, [&] { return static_cast<uint16_t>(bit(rng)); });
        break;
      case DType::kI16:
        fill<int16_t>(t, [&] { return static_cast<int16_t>(bit(rng)); });
        break;
      case DType::kI32:
        fill<int32_t>(t, [&] { return static_cast<int32_t>(bit(rng)); });
        break;
      case DType::kI64:
        fill<int64_t>(t, [&] { return static_cast<int64_t>(bit(rng)); });
        break;
      case DType::kU32:
        fill<uint32_t>(t, [&] { return static_cast<uint32_t>(bit(rng)); });
        break;
      case DType::kU64:
        fill<uint64_t>(t, [&] { return static_cast<uint64_t>(bit(rng)); });
        break;
      default:
        return unsupported(
            "input '" + src.info.name + "' is " + dtype_name(src.info.dtype) +
            ": bench cannot make random data of this type (give it with --input NAME=FILE.npy)");
    }
    out.push_back({src.info.name, std::move(t)});
  }
  return out;
}

}  // namespace fastserve::cli
