// ModelInferRequest -> InferRequest and InferResponse -> ModelInferResponse
// (see grpc_tensor.h). Input bytes are copied once, into the 64-byte aligned
// storage of a fresh Tensor: protobuf's string buffers have no alignment the
// kernels could rely on, and the copy lets the request message go as soon as
// the tensors exist.
#include "serve/grpc/grpc_tensor.h"

#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace fastserve::serve {

namespace {

using inference::InferParameter;
using inference::InferTensorContents;
using InputTensor = inference::ModelInferRequest::InferInputTensor;

std::string quoted(const std::string& s) { return "'" + s + "'"; }

std::string dims_string(const google::protobuf::RepeatedField<int64_t>& dims) {
  std::string s = "[";
  for (int i = 0; i < dims.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(dims.Get(i));
  }
  return s + "]";
}

// Which typed field of InferTensorContents carries a dtype ("" = none: FP16
// and BF16 only travel raw).
const char* contents_field_for(DType t) {
  switch (t) {
    case DType::kBool: return "bool_contents";
    case DType::kI8:
    case DType::kI16:
    case DType::kI32: return "int_contents";
    case DType::kI64: return "int64_contents";
    case DType::kU8:
    case DType::kU16:
    case DType::kU32: return "uint_contents";
    case DType::kU64: return "uint64_contents";
    case DType::kF32: return "fp32_contents";
    case DType::kF64: return "fp64_contents";
    default: return "";
  }
}

// The typed fields that hold values, by name.
std::vector<std::string> populated_fields(const InferTensorContents& c) {
  std::vector<std::string> names;
  if (c.bool_contents_size()) names.emplace_back("bool_contents");
  if (c.int_contents_size()) names.emplace_back("int_contents");
  if (c.int64_contents_size()) names.emplace_back("int64_contents");
  if (c.uint_contents_size()) names.emplace_back("uint_contents");
  if (c.uint64_contents_size()) names.emplace_back("uint64_contents");
  if (c.fp32_contents_size()) names.emplace_back("fp32_contents");
  if (c.fp64_contents_size()) names.emplace_back("fp64_contents");
  if (c.bytes_contents_size()) names.emplace_back("bytes_contents");
  return names;
}

// Copies typed values into the tensor, checking that each fits the narrower
// element type (int_contents carries INT8 and INT16 as int32).
template <typename Dst, typename Src>
Status copy_values(const google::protobuf::RepeatedField<Src>& src, Dst* dst, const std::string& input,
                   const char* field, DType dtype) {
  for (int i = 0; i < src.size(); ++i) {
    const Src v = src.Get(i);
    if constexpr (std::is_integral_v<Dst> && !std::is_same_v<Dst, bool> && !std::is_same_v<Dst, Src>) {
      if (!std::in_range<Dst>(v))
        return invalid_argument("input " + quoted(input) + ": " + field + "[" + std::to_string(i) +
                                "] = " + std::to_string(v) + " is out of range for " + dtype_v2_name(dtype));
    }
    dst[i] = static_cast<Dst>(v);
  }
  return ok_status();
}

int typed_count(const InferTensorContents& c, DType t) {
  switch (t) {
    case DType::kBool: return c.bool_contents_size();
    case DType::kI8:
    case DType::kI16:
    case DType::kI32: return c.int_contents_size();
    case DType::kI64: return c.int64_contents_size();
    case DType::kU8:
    case DType::kU16:
    case DType::kU32: return c.uint_contents_size();
    case DType::kU64: return c.uint64_contents_size();
    case DType::kF32: return c.fp32_contents_size();
    case DType::kF64: return c.fp64_contents_size();
    default: return 0;
  }
}

Status copy_typed(const InferTensorContents& c, Tensor& t, const std::string& input) {
  const char* field = contents_field_for(t.dtype());
  const DType d = t.dtype();
  switch (d) {
    case DType::kBool: return copy_values(c.bool_contents(), t.data<bool>(), input, field, d);
    case DType::kI8: return copy_values(c.int_contents(), t.data<int8_t>(), input, field, d);
    case DType::kI16: return copy_values(c.int_contents(), t.data<int16_t>(), input, field, d);
    case DType::kI32: return copy_values(c.int_contents(), t.data<int32_t>(), input, field, d);
    case DType::kI64: return copy_values(c.int64_contents(), t.data<int64_t>(), input, field, d);
    case DType::kU8: return copy_values(c.uint_contents(), t.data<uint8_t>(), input, field, d);
    case DType::kU16: return copy_values(c.uint_contents(), t.data<uint16_t>(), input, field, d);
    case DType::kU32: return copy_values(c.uint_contents(), t.data<uint32_t>(), input, field, d);
    case DType::kU64: return copy_values(c.uint64_contents(), t.data<uint64_t>(), input, field, d);
    case DType::kF32: return copy_values(c.fp32_contents(), t.data<float>(), input, field, d);
    case DType::kF64: return copy_values(c.fp64_contents(), t.data<double>(), input, field, d);
    default: return internal_error("input " + quoted(input) + ": no typed contents for " + dtype_v2_name(d));
  }
}

// Element count of a validated shape; errors on negative dims and overflow.
Result<int64_t> element_count(const InputTensor& in) {
  int64_t n = 1;
  for (int i = 0; i < in.shape_size(); ++i) {
    const int64_t d = in.shape(i);
    if (d < 0)
      return invalid_argument("input " + quoted(in.name()) + ": shape " + dims_string(in.shape()) + " has dim " +
                              std::to_string(i) + " = " + std::to_string(d) + "; dims must be >= 0");
    if (__builtin_mul_overflow(n, d, &n))
      return invalid_argument("input " + quoted(in.name()) + ": shape " + dims_string(in.shape()) +
                              " has too many elements");
  }
  return n;
}

Result<NamedTensor> decode_input(const InputTensor& in, const std::string* raw) {
  const std::string& name = in.name();
  if (in.datatype().empty()) return invalid_argument("input " + quoted(name) + ": datatype is missing");
  const DType dtype = dtype_from_v2_name(in.datatype());
  if (dtype == DType::kString)
    return unsupported("input " + quoted(name) +
                       ": datatype BYTES is not supported (FastServe serves fixed-size tensors only)");
  if (dtype == DType::kUndefined)
    return invalid_argument("input " + quoted(name) + ": unknown datatype " + quoted(in.datatype()));
  FS_ASSIGN_OR_RETURN(const int64_t numel, element_count(in));
  const size_t elem = dtype_size(dtype);
  int64_t nbytes = 0;
  if (__builtin_mul_overflow(numel, static_cast<int64_t>(elem), &nbytes))
    return invalid_argument("input " + quoted(name) + ": shape " + dims_string(in.shape()) + " has too many elements");

  const std::vector<std::string> typed = populated_fields(in.contents());
  std::vector<int64_t> dims(in.shape().begin(), in.shape().end());
  NamedTensor out{name, Tensor()};

  if (raw != nullptr) {
    if (!typed.empty())
      return invalid_argument("input " + quoted(name) + ": contents." + typed.front() +
                              " is set although the request uses raw_input_contents");
    if (static_cast<int64_t>(raw->size()) != nbytes)
      return invalid_argument("input " + quoted(name) + ": raw_input_contents has " + std::to_string(raw->size()) +
                              " bytes, shape " + dims_string(in.shape()) + " of " + in.datatype() + " needs " +
                              std::to_string(nbytes));
    out.tensor = Tensor::empty(dtype, Shape(std::move(dims)));
    if (dtype == DType::kBool) {
      // Any non-zero byte is true; copying bytes into bool storage unchecked
      // would create bools that are neither true nor false.
      bool* d = out.tensor.data<bool>();
      for (int64_t i = 0; i < numel; ++i) d[i] = (*raw)[static_cast<size_t>(i)] != 0;
    } else if (nbytes > 0) {
      std::memcpy(out.tensor.raw_data(), raw->data(), static_cast<size_t>(nbytes));
    }
    return out;
  }

  const std::string field = contents_field_for(dtype);
  if (field.empty()) {
    if (numel == 0 && typed.empty()) {
      out.tensor = Tensor::empty(dtype, Shape(std::move(dims)));
      return out;
    }
    return invalid_argument("input " + quoted(name) + ": " + in.datatype() +
                            " data must be sent in raw_input_contents (InferTensorContents has no " +
                            in.datatype() + " field)");
  }
  for (const std::string& f : typed)
    if (f != field)
      return invalid_argument("input " + quoted(name) + ": datatype " + in.datatype() + " takes contents." + field +
                              ", but contents." + f + " is set");
  const int count = typed_count(in.contents(), dtype);
  if (count == 0 && numel > 0)
    return invalid_argument("input " + quoted(name) + ": no data (set contents." + field +
                            " or raw_input_contents)");
  if (count != numel)
    return invalid_argument("input " + quoted(name) + ": contents." + field + " has " + std::to_string(count) +
                            " values, shape " + dims_string(in.shape()) + " needs " + std::to_string(numel));
  out.tensor = Tensor::empty(dtype, Shape(std::move(dims)));
  FS_RETURN_IF_ERROR(copy_typed(in.contents(), out.tensor, name));
  return out;
}

const char* param_kind(const InferParameter& p) {
  switch (p.parameter_choice_case()) {
    case InferParameter::kBoolParam: return "bool_param";
    case InferParameter::kInt64Param: return "int64_param";
    case InferParameter::kStringParam: return "string_param";
    case InferParameter::kDoubleParam: return "double_param";
    case InferParameter::kUint64Param: return "uint64_param";
    default: return "no value";
  }
}

// A non-negative integer parameter sent as uint64_param or int64_param.
Result<uint64_t> unsigned_param(const std::string& key, const InferParameter& p, uint64_t max) {
  uint64_t v = 0;
  if (p.parameter_choice_case() == InferParameter::kUint64Param) {
    v = p.uint64_param();
  } else if (p.parameter_choice_case() == InferParameter::kInt64Param) {
    if (p.int64_param() < 0)
      return invalid_argument("parameter " + quoted(key) + " is " + std::to_string(p.int64_param()) +
                              "; it must be >= 0");
    v = static_cast<uint64_t>(p.int64_param());
  } else {
    return invalid_argument("parameter " + quoted(key) + " must be an int64_param or uint64_param, got " +
                            param_kind(p));
  }
  if (v > max)
    return invalid_argument("parameter " + quoted(key) + " is " + std::to_string(v) + ", above the largest " +
                            std::to_string(max));
  return v;
}

}  // namespace


Result<InferRequest> infer_request_from_proto(const inference::ModelInferRequest& request) {
  InferRequest out;
  if (request.model_name().empty()) return invalid_argument("ModelInferRequest: model_name is missing");
  out.model = request.model_name();
  out.version = request.model_version();
  out.id = request.id();

  const int n_inputs = request.inputs_size();
  const int n_raw = request.raw_input_contents_size();
  if (n_raw != 0 && n_raw != n_inputs)
    return invalid_argument("ModelInferRequest: raw_input_contents has " + std::to_string(n_raw) +
                            " entries for " + std::to_string(n_inputs) +
                            " inputs (one per input, in input order)");
  std::set<std::string> seen;
  out.inputs.reserve(static_cast<size_t>(n_inputs));
  for (int i = 0; i < n_inputs; ++i) {
    const InputTensor& in = request.inputs(i);
    if (in.name().empty()) return invalid_argument("input " + std::to_string(i) + ": name is missing");
    if (!seen.insert(in.name()).second) return invalid_argument("input " + quoted(in.name()) + " appears twice");
    FS_ASSIGN_OR_RETURN(NamedTensor t, decode_input(in, n_raw ? &request.raw_input_contents(i) : nullptr));
    out.inputs.push_back(std::move(t));
  }

  seen.clear();
  for (int i = 0; i < request.outputs_size(); ++i) {
    const auto& o = request.outputs(i);
    if (o.name().empty()) return invalid_argument("output " + std::to_string(i) + ": name is missing");
    if (!seen.insert(o.name()).second)
      return invalid_argument("output " + quoted(o.name()) + " is requested twice");
    // Triton's clients ask for top-k classes through this parameter; FastServe
    // returns the raw tensor only, and saying so beats silently ignoring it.
    if (o.parameters().count("classification"))
      return unsupported("output " + quoted(o.name()) + ": parameter 'classification' is not supported");
    out.outputs.push_back(o.name());
  }

  for (const auto& [key, value] : request.parameters()) {
    if (key == "priority") {
      FS_ASSIGN_OR_RETURN(const uint64_t p, unsigned_param(key, value, std::numeric_limits<uint32_t>::max()));
      out.priority = static_cast<uint32_t>(p);
    } else if (key == "timeout") {
      FS_ASSIGN_OR_RETURN(out.timeout_us, unsigned_param(key, value, std::numeric_limits<int64_t>::max()));
    }
  }
  return out;
}

Status infer_response_to_proto(const InferResponse& response, inference::ModelInferResponse* out) {
  out->set_model_name(response.model);
  out->set_model_version(response.version);
  out->set_id(response.id);
  for (const NamedTensor& t : response.outputs) {
    const DType d = t.tensor.dtype();
    if (!dtype_is_storable(d) || dtype_size(d) == 0)
      return internal_error("output " + quoted(t.name) + ": dtype " + dtype_name(d) + " cannot be sent");
    auto* o = out->add_outputs();
    o->set_name(t.name);
    o->set_datatype(dtype_v2_name(d));
    for (int64_t dim : t.tensor.shape().dims()) o->add_shape(dim);
    // bool is one byte holding 0 or 1 in C++, which is the wire form of BOOL.
    out->add_raw_output_contents()->assign(static_cast<const char*>(t.tensor.raw_data()), t.tensor.nbytes());
  }
  return ok_status();
}

grpc::StatusCode grpc_code_for(const Status& status) {
  switch (status.code()) {
    case StatusCode::kOk: return grpc::StatusCode::OK;
    case StatusCode::kInvalidArgument:
    case StatusCode::kUnsupported: return grpc::StatusCode::INVALID_ARGUMENT;
    case StatusCode::kNotFound: return grpc::StatusCode::NOT_FOUND;
    case StatusCode::kResourceExhausted: return grpc::StatusCode::RESOURCE_EXHAUSTED;
    case StatusCode::kUnavailable: return grpc::StatusCode::UNAVAILABLE;
    case StatusCode::kDeadlineExceeded: return grpc::StatusCode::DEADLINE_EXCEEDED;
    default: return grpc::StatusCode::INTERNAL;
  }
}

grpc::Status to_grpc_status(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(grpc_code_for(status), status.message());
}

}  // namespace fastserve::serve
