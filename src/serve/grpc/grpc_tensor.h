// Conversions between the gRPC inference messages (inference.ModelInferRequest
// / ModelInferResponse of proto/grpc_service.proto) and the manager's
// InferRequest / InferResponse, plus the gRPC status code for a Status.
//
// Inputs arrive either all in raw_input_contents (one bytes entry per input,
// in input order: what Triton's clients send) or each in its typed
// InferTensorContents field; outputs always leave as raw_output_contents,
// which is what Triton answers and what its clients read. Every error names
// the tensor (or parameter) it is about.
#pragma once

#include <grpcpp/support/status.h>

#include <string_view>

#include "fastserve/dtype.h"
#include "fastserve/status.h"
#include "grpc_service.pb.h"
#include "serve/infer_request.h"

namespace fastserve::serve {


// Decodes a ModelInferRequest: model, version, id, inputs (copied into
// aligned tensors), requested outputs and the "priority" (uint64 or int64,
// 0..2^32-1) and "timeout" (microseconds, uint64 or int64 >= 0) parameters;
// other request parameters are ignored, as Triton passes them to backends.
// Errors are kInvalidArgument (kUnsupported for BYTES tensors and the
// "classification" output parameter); `arrival` is left at construction time.
Result<InferRequest> infer_request_from_proto(const inference::ModelInferRequest& request);

// Fills `out` with the response's model, version, id and outputs (name,
// datatype, shape, raw bytes). kInternal when an output has no fixed-size dtype.
Status infer_response_to_proto(const InferResponse& response, inference::ModelInferResponse* out);

// kInvalidArgument / kUnsupported -> INVALID_ARGUMENT, kNotFound -> NOT_FOUND,
// kResourceExhausted -> RESOURCE_EXHAUSTED, kUnavailable -> UNAVAILABLE,
// kDeadlineExceeded -> DEADLINE_EXCEEDED, ok -> OK, anything else -> INTERNAL.
grpc::StatusCode grpc_code_for(const Status& status);
// The same code with the message passed through.
grpc::Status to_grpc_status(const Status& status);

}  // namespace fastserve::serve
