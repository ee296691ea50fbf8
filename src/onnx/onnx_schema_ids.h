// Field numbers of the onnx.proto messages the reader understands.
//
// Source: onnx/onnx.proto3 (ONNX 1.23, identical in onnx.proto); checked
// against the copy shipped in the onnx Python package and by
// tests/onnx/onnx_reader_test.cc, which parses models written with these
// numbers. Field numbers are frozen by protobuf compatibility rules, so they
// hold for every IR version. Fields not listed here are skipped.
#pragma once

#include <cstdint>

namespace fastserve::onnx_ids {

namespace model {                                // ModelProto
inline constexpr uint32_t kIrVersion = 1;        // int64
inline constexpr uint32_t kProducerName = 2;     // string
inline constexpr uint32_t kProducerVersion = 3;  // string
inline constexpr uint32_t kDomain = 4;           // string
inline constexpr uint32_t kModelVersion = 5;     // int64
inline constexpr uint32_t kDocString = 6;        // string
inline constexpr uint32_t kGraph = 7;            // GraphProto
inline constexpr uint32_t kOpsetImport = 8;      // repeated OperatorSetIdProto
inline constexpr uint32_t kMetadataProps = 14;   // repeated StringStringEntryProto
inline constexpr uint32_t kTrainingInfo = 20;    // repeated TrainingInfoProto (ignored)
inline constexpr uint32_t kFunctions = 25;       // repeated FunctionProto (ignored)
}  // namespace model

namespace opset_id {                     // OperatorSetIdProto
inline constexpr uint32_t kDomain = 1;   // string
inline constexpr uint32_t kVersion = 2;  // int64
}  // namespace opset_id

namespace string_entry {  // StringStringEntryProto
inline constexpr uint32_t kKey = 1;
inline constexpr uint32_t kValue = 2;
}  // namespace string_entry

namespace graph {                                        // GraphProto
inline constexpr uint32_t kNode = 1;                     // repeated NodeProto
inline constexpr uint32_t kName = 2;                     // string
inline constexpr uint32_t kInitializer = 5;              // repeated TensorProto
inline constexpr uint32_t kDocString = 10;               // string
inline constexpr uint32_t kInput = 11;                   // repeated ValueInfoProto
inline constexpr uint32_t kOutput = 12;                  // repeated ValueInfoProto
inline constexpr uint32_t kValueInfo = 13;               // repeated ValueInfoProto
inline constexpr uint32_t kQuantizationAnnotation = 14;  // repeated TensorAnnotation (ignored)
inline constexpr uint32_t kSparseInitializer = 15;       // repeated SparseTensorProto (unsupported)
inline constexpr uint32_t kMetadataProps = 16;           // repeated StringStringEntryProto (ignored)
}  // namespace graph

namespace node {                               // NodeProto
inline constexpr uint32_t kInput = 1;          // repeated string
inline constexpr uint32_t kOutput = 2;         // repeated string
inline constexpr uint32_t kName = 3;           // string
inline constexpr uint32_t kOpType = 4;         // string
inline constexpr uint32_t kAttribute = 5;      // repeated AttributeProto
inline constexpr uint32_t kDocString = 6;      // string
inline constexpr uint32_t kDomain = 7;         // string
inline constexpr uint32_t kOverload = 8;       // string (ignored)
inline constexpr uint32_t kMetadataProps = 9;  // repeated StringStringEntryProto (ignored)
}  // namespace node

namespace attribute {                           // AttributeProto
inline constexpr uint32_t kName = 1;            // string
inline constexpr uint32_t kF = 2;               // float (fixed32)
inline constexpr uint32_t kI = 3;               // int64
inline constexpr uint32_t kS = 4;               // bytes
inline constexpr uint32_t kT = 5;               // TensorProto
inline constexpr uint32_t kG = 6;               // GraphProto
inline constexpr uint32_t kFloats = 7;          // repeated float
inline constexpr uint32_t kInts = 8;            // repeated int64
inline constexpr uint32_t kStrings = 9;         // repeated bytes
inline constexpr uint32_t kTensors = 10;        // repeated TensorProto
inline constexpr uint32_t kGraphs = 11;         // repeated GraphProto
inline constexpr uint32_t kDocString = 13;      // string
inline constexpr uint32_t kTp = 14;             // TypeProto
inline constexpr uint32_t kTypeProtos = 15;     // repeated TypeProto
inline constexpr uint32_t kType = 20;           // AttributeType enum
inline constexpr uint32_t kRefAttrName = 21;    // string (functions only)
inline constexpr uint32_t kSparseTensor = 22;   // SparseTensorProto
inline constexpr uint32_t kSparseTensors = 23;  // repeated SparseTensorProto

// AttributeProto.AttributeType values.
enum Type : int32_t {
  kTypeUndefined = 0,
  kTypeFloat = 1,
  kTypeInt = 2,
  kTypeString = 3,
  kTypeTensor = 4,
  kTypeGraph = 5,
  kTypeFloats = 6,
  kTypeInts = 7,
  kTypeStrings = 8,
  kTypeTensors = 9,
  kTypeGraphs = 10,
  kTypeSparseTensor = 11,
  kTypeSparseTensors = 12,
  kTypeTypeProto = 13,
  kTypeTypeProtos = 14,
};
}  // namespace attribute

namespace tensor {                              // TensorProto
inline constexpr uint32_t kDims = 1;            // repeated int64
inline constexpr uint32_t kDataType = 2;        // int32 (TensorProto.DataType == DType values)
inline constexpr uint32_t kSegment = 3;         // Segment (unsupported)
inline constexpr uint32_t kFloatData = 4;       // repeated float: FLOAT, COMPLEX64
inline constexpr uint32_t kInt32Data = 5;       // repeated int32: INT32, INT16, INT8, UINT16, UINT8, BOOL,
                                                //   FLOAT16 and BFLOAT16 (as bit patterns), FLOAT8*,
                                                //   4- and 2-bit types (one packed byte each)
inline constexpr uint32_t kStringData = 6;      // repeated bytes: STRING
inline constexpr uint32_t kInt64Data = 7;       // repeated int64: INT64
inline constexpr uint32_t kName = 8;            // string
inline constexpr uint32_t kRawData = 9;         // bytes: little-endian, row-major; sub-byte packed
inline constexpr uint32_t kDoubleData = 10;     // repeated double: DOUBLE, COMPLEX128
inline constexpr uint32_t kUint64Data = 11;     // repeated uint64: UINT32, UINT64
inline constexpr uint32_t kDocString = 12;      // string
inline constexpr uint32_t kExternalData = 13;   // repeated StringStringEntryProto
inline constexpr uint32_t kDataLocation = 14;   // DataLocation enum
inline constexpr uint32_t kMetadataProps = 16;  // repeated StringStringEntryProto (ignored)

// TensorProto.DataLocation values.
inline constexpr int32_t kLocationDefault = 0;
inline constexpr int32_t kLocationExternal = 1;
}  // namespace tensor

namespace sparse_tensor {  // SparseTensorProto (recognised only to reject it)
inline constexpr uint32_t kValues = 1;
inline constexpr uint32_t kIndices = 2;
inline constexpr uint32_t kDims = 3;
}  // namespace sparse_tensor

namespace value_info {                         // ValueInfoProto
inline constexpr uint32_t kName = 1;           // string
inline constexpr uint32_t kType = 2;           // TypeProto
inline constexpr uint32_t kDocString = 3;      // string
inline constexpr uint32_t kMetadataProps = 4;  // repeated StringStringEntryProto (ignored)
}  // namespace value_info

namespace type_proto {                            // TypeProto (a oneof; only tensor_type is read)
inline constexpr uint32_t kTensorType = 1;        // TypeProto.Tensor
inline constexpr uint32_t kSequenceType = 4;      // TypeProto.Sequence
inline constexpr uint32_t kMapType = 5;           // TypeProto.Map
inline constexpr uint32_t kDenotation = 6;        // string
inline constexpr uint32_t kOpaqueType = 7;        // TypeProto.Opaque
inline constexpr uint32_t kSparseTensorType = 8;  // TypeProto.SparseTensor
inline constexpr uint32_t kOptionalType = 9;      // TypeProto.Optional
}  // namespace type_proto

namespace tensor_type {                   // TypeProto.Tensor
inline constexpr uint32_t kElemType = 1;  // int32 (DataType)
inline constexpr uint32_t kShape = 2;     // TensorShapeProto
}  // namespace tensor_type

namespace tensor_shape {             // TensorShapeProto
inline constexpr uint32_t kDim = 1;  // repeated Dimension
}  // namespace tensor_shape

namespace dimension {                       // TensorShapeProto.Dimension (oneof value)
inline constexpr uint32_t kDimValue = 1;    // int64
inline constexpr uint32_t kDimParam = 2;    // string
inline constexpr uint32_t kDenotation = 3;  // string (ignored)
}  // namespace dimension

}  // namespace fastserve::onnx_ids
