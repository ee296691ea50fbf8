// ONNX model reader: a lean protobuf wire-format parser of our own.
//
// The file is memory-mapped; initializers stored in raw_data point straight
// into the mapping (no copy), external-data initializers point into their own
// mapped files, and only typed-field initializers (float_data, int64_data,
// ...) are decoded into new buffers. Model::mappings keeps the maps alive
// (the first entry is the model's bytes; its get() is their start).
// One exception: protobuf places raw_data at arbitrary byte offsets, and a
// tensor whose bytes are not aligned for its element type is copied into
// aligned storage (misaligned loads are undefined behaviour for kernels); in
// exported single-file models that is most tensors. External data, which
// the onnx tools write at aligned offsets, stays zero-copy.
//
// Why not libprotobuf: it copies every raw_data into a std::string (weights
// held twice, and read eagerly), needs generated code and a matching runtime
// library, and is a large surface to fuzz. Our reader (protobuf_wire.h +
// one small file per message family) loads faster with less memory (a
// 100 MB external-data model loads in under a millisecond after the mmap),
// has no generated code, and is a small, bounds-checked, recursion-free
// surface that tests/fuzz exercises.
//
// Errors name the file and what is wrong: not an ONNX model, truncated,
// unsupported opset (default domain must be 1..28; below 11 only models whose
// ops are unchanged up to opset 11, which then load as opset 11:
// opset_upgrade.h), dtype/size mismatch of an initializer (with its name),
// missing external data file.
#pragma once

#include <memory>
#include <string>

#include "fastserve/graph.h"

namespace fastserve {

// The default-domain opsets the loader accepts. Below kOldestNativeOpset (11)
// a model loads only when opset_upgrade.h can raise it to 11 unchanged.
inline constexpr int64_t kMinOpset = 1;
inline constexpr int64_t kMaxSupportedOpset = 28;

// Loads, verifies (verify_graph) and runs static shape inference (infer_graph_shapes).
Result<std::shared_ptr<Model>> load_onnx_model(const std::string& path);

// Parses a model from memory. `owner` keeps `data` alive (initializers may
// point into it); `base_dir` resolves external data ("" forbids external data).
// Does verify and infer shapes like load_onnx_model.
Result<std::shared_ptr<Model>> load_onnx_model_from_memory(const void* data, size_t size,
                                                           std::string display_name, std::string base_dir,
                                                           std::shared_ptr<const void> owner);

}  // namespace fastserve
