// Inputs for `fastserve bench`: the batch sizes to run and, for each, what
// every model input gets: a .npy file (--input NAME=FILE.npy) or random data
// with a fixed seed, shaped from the model's declared dims, --batch (dim 0
// when it is symbolic) and --shape NAME=DxDx... (other symbolic dims).
//
// Batch rules. A model is dynamic-batch when some input has a symbolic
// dim 0; --batch sets that dim (a file feeding such an input must have it).
// Otherwise it is static-batch: its batch is the first input's dim 0 and
// a --batch that differs is an error naming that input. Without --batch the
// batch is the one a file or --shape gives, else the static dim 0, else 1.
//
// Errors of the plan_* and parse_* functions are flag problems (the CLI
// exits 2 for them); make_bench_inputs fails only for dtypes it cannot fill.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fastserve/session.h"

namespace fastserve::cli {

// "x=1x3x224x224" -> {"x", [1,3,224,224]}; dims are positive integers.
Result<std::pair<std::string, Shape>> parse_shape_arg(std::string_view arg);

// --input args ("NAME=FILE", or a bare FILE for a one-input model) -> file per input name.
Result<std::map<std::string, std::string>> parse_input_args(const std::vector<std::string>& args,
                                                            const std::vector<IoInfo>& inputs);
// --shape args -> shape per input name; each must name an input, once.
Result<std::map<std::string, Shape>> parse_shape_args(const std::vector<std::string>& args,
                                                      const std::vector<IoInfo>& inputs);

struct FileInput {
  std::string path;
  Tensor tensor;  // already checked against the input's dtype and static dims
};

// Where one model input's data comes from in one batch.
struct InputSource {
  IoInfo info;
  bool from_file = false;
  Tensor file_tensor;  // when from_file
  Shape shape;         // the concrete shape either way
};

struct BenchInputPlan {
  std::vector<int64_t> batches;
  std::vector<std::vector<InputSource>> per_batch;  // [batch][model input], model input order
};

// Resolves the batch sizes (`batches` empty = not given) and every input's
// source for each, so all flag errors surface before anything runs.
Result<BenchInputPlan> plan_bench_inputs(const std::vector<IoInfo>& inputs,
                                         const std::vector<int64_t>& batches,
                                         const std::map<std::string, Shape>& shapes,
                                         const std::map<std::string, FileInput>& files);

// The tensors for one batch: files as given; random data otherwise, from a
// fixed seed per input: floats ~U(-1, 1), integers and bools 0 or 1 (a valid
// index into any axis of size >= 2, a valid flag or count). kUnsupported for
// dtypes without numbers (string).
Result<std::vector<NamedTensor>> make_bench_inputs(const std::vector<InputSource>& sources);

}  // namespace fastserve::cli
