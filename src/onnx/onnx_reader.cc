// ModelProto -> Model: the top level of the ONNX reader (see onnx_reader.h).
//
// Two steps: a pass over the top-level fields (opsets, metadata, where the
// graph is), so the opset is checked before any graph error is reported;
// then the graph. Every error leaves here prefixed with the file name.
#include "onnx/onnx_reader.h"

#include <optional>
#include <string_view>

#include "onnx/mapped_file.h"
#include "onnx/onnx_external_data.h"
#include "onnx/onnx_graph_reader.h"
#include "onnx/onnx_node_reader.h"
#include "onnx/onnx_schema_ids.h"
#include "onnx/opset_upgrade.h"
#include "onnx/protobuf_wire.h"

namespace fastserve {

namespace {

using pb::WireType;
namespace mid = onnx_ids::model;

struct ModelFields {
  int64_t ir_version = 0;
  std::string producer_name;
  std::string producer_version;
  std::vector<std::pair<std::string, int64_t>> opsets;  // as listed (domain, version)
  std::map<std::string, std::string> metadata;
  std::optional<pb::WireReader> graph;
  int recognized_fields = 0;  // known ModelProto fields read so far
};

Status read_string_into(pb::WireReader& r, pb::FieldTag tag, const char* field, std::string& out) {
  FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, field));
  FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
  out = std::string(s);
  return ok_status();
}

Result<std::pair<std::string, int64_t>> parse_opset_id(pb::WireReader r) {
  std::pair<std::string, int64_t> out{"", 0};
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == onnx_ids::opset_id::kDomain) {
      FS_RETURN_IF_ERROR(read_string_into(r, tag, "OperatorSetIdProto.domain", out.first));
    } else if (tag.field == onnx_ids::opset_id::kVersion) {
      FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "OperatorSetIdProto.version"));
      FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
      out.second = static_cast<int64_t>(v);
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return out;
}

Result<std::pair<std::string, std::string>> parse_metadata_entry(pb::WireReader r) {
  std::pair<std::string, std::string> out;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == onnx_ids::string_entry::kKey) {
      FS_RETURN_IF_ERROR(read_string_into(r, tag, "StringStringEntryProto.key", out.first));
    } else if (tag.field == onnx_ids::string_entry::kValue) {
      FS_RETURN_IF_ERROR(read_string_into(r, tag, "StringStringEntryProto.value", out.second));
    } else {
      FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return out;
}

Status parse_model_fields(pb::WireReader r, ModelFields& m) {
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    switch (tag.field) {
      case mid::kIrVersion: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kVarint, "ModelProto.ir_version"));
        FS_ASSIGN_OR_RETURN(uint64_t v, r.read_varint());
        m.ir_version = static_cast<int64_t>(v);
        break;
      }
      case mid::kProducerName:
        FS_RETURN_IF_ERROR(read_string_into(r, tag, "ModelProto.producer_name", m.producer_name));
        break;
      case mid::kProducerVersion:
        FS_RETURN_IF_ERROR(read_string_into(r, tag, "ModelProto.producer_version", m.producer_version));
        break;
      case mid::kGraph: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "ModelProto.graph"));
        FS_ASSIGN_OR_RETURN(pb::WireReader g, r.read_message());
        // protobuf would merge two graph fields; no writer produces that.
        if (m.graph) return r.malformed("ModelProto.graph appears twice");
        m.graph = g;
        break;
      }
      case mid::kOpsetImport: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "ModelProto.opset_import"));
        FS_ASSIGN_OR_RETURN(pb::WireReader o, r.read_message());
        FS_ASSIGN_OR_RETURN(auto opset, parse_opset_id(o));
        m.opsets.push_back(std::move(opset));
        break;
      }
      case mid::kMetadataProps: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "ModelProto.metadata_props"));
        FS_ASSIGN_OR_RETURN(pb::WireReader e, r.read_message());
        FS_ASSIGN_OR_RETURN(auto entry, parse_metadata_entry(e));
        m.metadata[std::move(entry.first)] = std::move(entry.second);  // last one wins, as in protobuf maps
        break;
      }
      default:
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
        continue;
    }
    ++m.recognized_fields;
  }
  return ok_status();
}

Status check_opsets(const std::vector<std::pair<std::string, int64_t>>& listed, Model& model) {
  for (const auto& [listed_domain, version] : listed) {
    const std::string domain = listed_domain == "ai.onnx" ? std::string() : listed_domain;
    auto [it, inserted] = model.opsets.emplace(domain, version);
    if (!inserted && it->second != version) {
      return invalid_model("opset_import lists domain '" +
                           (domain.empty() ? std::string("ai.onnx") : domain) + "' twice, with versions " +
                           std::to_string(it->second) + " and " + std::to_string(version));
    }
  }
  auto it = model.opsets.find("");
  if (it != model.opsets.end() && (it->second < kMinOpset || it->second > kMaxSupportedOpset)) {
    return unsupported("opset " + std::to_string(it->second) + " is not supported (supported: " +
                       std::to_string(kMinOpset) + " to " + std::to_string(kMaxSupportedOpset) + ")");
  }
  return ok_status();
}

Status read_model(Model& model, const uint8_t* data, size_t size, const std::string& base_dir,
                  const std::shared_ptr<const void>& owner, bool file_map) {
  if (size == 0) return invalid_model("not an ONNX model (the file is empty)");
  ModelFields fields;
  if (Status s = parse_model_fields(pb::WireReader(data, size), fields); !s.ok()) {
    // Bytes that run off the end after valid model fields are a cut-off
    // model; running off the end before any is just as likely noise.
    if (s.message().rfind("truncated: ", 0) == 0 && fields.recognized_fields > 0) return s;
    return invalid_model("not an ONNX model (" + s.message() + ")");
  }
  if (!fields.graph) return invalid_model("not an ONNX model (no graph)");
  model.ir_version = fields.ir_version;
  model.producer_name = std::move(fields.producer_name);
  model.producer_version = std::move(fields.producer_version);
  model.metadata = std::move(fields.metadata);
  FS_RETURN_IF_ERROR(check_opsets(fields.opsets, model));

  std::optional<ExternalDataFiles> external;
  if (!base_dir.empty()) external.emplace(base_dir);
  const TensorSources sources{owner, external ? &*external : nullptr, file_map};
  FS_RETURN_IF_ERROR(read_graph_proto(*fields.graph, sources, model.graph));
  if (owner) model.mappings.push_back(owner);
  if (external) {
    for (auto& o : external->owners()) model.mappings.push_back(std::move(o));
    for (const auto& r : external->ranges()) model.mapped_ranges.push_back(r);
  }

  if (model.opsets.count("") == 0) {
    // Without a default-domain opset the ops' versions are unknown; a graph
    // made only of custom-domain ops does not need one.
    for (size_t i = 0; i < model.graph.nodes.size(); ++i) {
      const Node& node = model.graph.nodes[i];
      if (node.domain.empty()) {
        return invalid_model("no opset_import for the default ONNX domain, but " +
                             describe_node(node.name, node.op_type, i) + " uses it");
      }
    }
  }
  return upgrade_to_native_opset(model);
}

// Prefixes the file name, and words wire-format errors for the user: a file
// cut short is "truncated", anything else unparseable is "not an ONNX model".
Status with_file_context(const Status& s, const std::string& file) {
  const std::string& msg = s.message();
  if (msg.rfind("malformed protobuf", 0) == 0) {
    return Status(s.code(), file + ": not an ONNX model (" + msg + ")");
  }
  if (msg.rfind(file + ": ", 0) == 0) return s;  // already names the file
  return s.with_context(file);
}

Result<std::shared_ptr<Model>> load_model(const void* data, size_t size, std::string display_name,
                                          std::string base_dir, std::shared_ptr<const void> owner, bool file_map) {
  auto model = std::make_shared<Model>();
  model->path = std::move(display_name);
  const std::string file = model->display_name();
  Status s = read_model(*model, static_cast<const uint8_t*>(data), size, base_dir, owner, file_map);
  if (s.ok()) s = verify_graph(*model);
  if (s.ok()) s = infer_graph_shapes(*model);
  if (!s.ok()) return with_file_context(s, file);
  return model;
}

}  // namespace

Result<std::shared_ptr<Model>> load_onnx_model_from_memory(const void* data, size_t size,
                                                           std::string display_name, std::string base_dir,
                                                           std::shared_ptr<const void> owner) {
  return load_model(data, size, std::move(display_name), std::move(base_dir), std::move(owner), false);
}

Result<std::shared_ptr<Model>> load_onnx_model(const std::string& path) {
  FS_ASSIGN_OR_RETURN(std::shared_ptr<const MappedFile> file, MappedFile::open(path));
  // External data is resolved next to the model file.
  const size_t slash = path.rfind('/');
  std::string base_dir = slash == std::string::npos ? std::string(".") : path.substr(0, slash);
  if (base_dir.empty()) base_dir = "/";  // a model in the root directory
  FS_ASSIGN_OR_RETURN(std::shared_ptr<Model> model, load_model(file->data(), file->size(), path, std::move(base_dir),
                                                                MappedFile::data_owner(file), true));
  model->mapped_ranges.emplace_back(file->data(), file->size());
  // Parsing copied every misaligned raw_data tensor, reading its pages; keep
  // only the copies resident (see MappedFile::release_pages).
  file->release_pages();
  return model;
}

}  // namespace fastserve
