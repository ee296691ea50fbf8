// GraphProto parsing and IR construction (see onnx_graph_reader.h).
#include "onnx/onnx_graph_reader.h"

#include <string>
#include <unordered_map>
#include <vector>

#include "onnx/onnx_node_reader.h"
#include "onnx/onnx_schema_ids.h"
#include "onnx/onnx_value_info_reader.h"

namespace fastserve {

namespace {

using pb::WireType;
namespace gid = onnx_ids::graph;

struct Initializer {
  std::string name;
  Tensor tensor;
};

// Everything a GraphProto lists, before names become ids. Fields may come in
// any order on the wire, so the IR is built only once all are read.
struct GraphFields {
  std::string name;
  std::vector<NodeProtoFields> nodes;
  std::vector<Initializer> initializers;
  std::vector<ValueInfoFields> inputs, outputs, value_info;
};

// A sparse initializer's name is the name of its `values` tensor.
Result<std::string> sparse_initializer_name(pb::WireReader r) {
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    if (tag.field == onnx_ids::sparse_tensor::kValues && tag.wire_type == WireType::kLengthDelimited) {
      FS_ASSIGN_OR_RETURN(pb::WireReader values, r.read_message());
      FS_ASSIGN_OR_RETURN(TensorProtoFields t, parse_tensor_proto(values));
      return t.name;
    }
    FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
  }
  return std::string();
}

Result<GraphFields> parse_graph_fields(pb::WireReader r, const TensorSources& sources) {
  GraphFields g;
  while (!r.at_end()) {
    FS_ASSIGN_OR_RETURN(pb::FieldTag tag, r.read_tag());
    switch (tag.field) {
      case gid::kNode: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "GraphProto.node"));
        FS_ASSIGN_OR_RETURN(pb::WireReader m, r.read_message());
        FS_ASSIGN_OR_RETURN(NodeProtoFields node, parse_node_proto(m, sources, g.nodes.size()));
        g.nodes.push_back(std::move(node));
        break;
      }
      case gid::kName: {
        FS_RETURN_IF_ERROR(pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "GraphProto.name"));
        FS_ASSIGN_OR_RETURN(std::string_view s, r.read_string());
        g.name = std::string(s);
        break;
      }
      case gid::kInitializer: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "GraphProto.initializer"));
        FS_ASSIGN_OR_RETURN(pb::WireReader m, r.read_message());
        FS_ASSIGN_OR_RETURN(TensorProtoFields fields, parse_tensor_proto(m));
        if (fields.name.empty()) return invalid_model("an initializer has no name");
        FS_ASSIGN_OR_RETURN(Tensor t, decode_tensor(fields, sources, "initializer '" + fields.name + "'"));
        g.initializers.push_back({std::move(fields.name), std::move(t)});
        break;
      }
      case gid::kSparseInitializer: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "GraphProto.sparse_initializer"));
        FS_ASSIGN_OR_RETURN(pb::WireReader m, r.read_message());
        FS_ASSIGN_OR_RETURN(std::string name, sparse_initializer_name(m));
        return unsupported("sparse initializer '" + name + "': sparse initializers are not supported");
      }
      case gid::kInput:
      case gid::kOutput:
      case gid::kValueInfo: {
        FS_RETURN_IF_ERROR(
            pb::expect_wire_type(r, tag, WireType::kLengthDelimited, "GraphProto.input/output"));
        FS_ASSIGN_OR_RETURN(pb::WireReader m, r.read_message());
        FS_ASSIGN_OR_RETURN(ValueInfoFields info, parse_value_info_proto(m));
        auto& list = tag.field == gid::kInput    ? g.inputs
                     : tag.field == gid::kOutput ? g.outputs
                                                 : g.value_info;
        list.push_back(std::move(info));
        break;
      }
      default:
        FS_RETURN_IF_ERROR(r.skip_field(tag.wire_type));
    }
  }
  return g;
}

// Graph inputs are the runtime interface: they must be tensors of a type we store.
Status check_runtime_input(const ValueInfoFields& in) {
  const std::string what = "graph input '" + in.name + "'";
  if (!in.non_tensor_kind.empty())
    return unsupported(what + " is a " + in.non_tensor_kind + ", not a tensor");
  if (!in.has_tensor_type || in.elem_type == 0) return invalid_model(what + " has no tensor type");
  const DType dtype = dtype_from_onnx(in.elem_type);
  if (!dtype_is_storable(dtype)) {
    return unsupported(what + " has data type " + std::to_string(in.elem_type) +
                       (dtype == DType::kString ? " (STRING)" : "") + ", which is not supported");
  }
  return ok_status();
}

class GraphBuilder {
 public:
  explicit GraphBuilder(Graph& graph) : graph_(graph) {}

  Status build(GraphFields& g) {
    graph_.name = std::move(g.name);
    std::unordered_map<std::string, size_t> initializer_index;
    for (size_t i = 0; i < g.initializers.size(); ++i) {
      if (!initializer_index.emplace(g.initializers[i].name, i).second) {
        return invalid_model("initializer '" + g.initializers[i].name + "' is defined twice");
      }
    }
    // Runtime inputs first, in declaration order.
    for (const ValueInfoFields& in : g.inputs) {
      if (in.name.empty()) return invalid_model("a graph input has no name");
      if (initializer_index.count(in.name) != 0) continue;  // a constant with a default, not an input
      FS_RETURN_IF_ERROR(check_runtime_input(in));
      Value v;
      v.name = in.name;
      apply_value_info(in, v);
      FS_ASSIGN_OR_RETURN(ValueId id, add(std::move(v), "graph input"));
      graph_.inputs.push_back(id);
    }
    for (Initializer& init : g.initializers) {
      Value v;
      v.name = std::move(init.name);
      v.dtype = init.tensor.dtype();
      v.shape_known = true;
      v.shape = init.tensor.shape();
      v.initializer = std::move(init.tensor);
      FS_RETURN_IF_ERROR(add(std::move(v), "initializer").status());
    }
    // Every node output before any node input: nodes may be out of order.
    first_node_output_ = static_cast<ValueId>(graph_.values.size());
    graph_.nodes.resize(g.nodes.size());
    for (size_t n = 0; n < g.nodes.size(); ++n) {
      NodeProtoFields& f = g.nodes[n];
      Node& node = graph_.nodes[n];
      const std::string what = describe_node(f.name, f.op_type, n);
      for (std::string& out : f.outputs) {
        if (out.empty()) {
          node.outputs.push_back(kNoValue);
          continue;
        }
        Value v;
        v.name = std::move(out);
        FS_ASSIGN_OR_RETURN(ValueId id, add(std::move(v), what + " output"));
        node.outputs.push_back(id);
      }
    }
    for (size_t n = 0; n < g.nodes.size(); ++n) {
      NodeProtoFields& f = g.nodes[n];
      Node& node = graph_.nodes[n];
      for (const std::string& in : f.inputs) {
        if (in.empty()) {
          node.inputs.push_back(kNoValue);
          continue;
        }
        const ValueId id = find(in);
        if (id == kNoValue) {
          return invalid_model(describe_node(f.name, f.op_type, n) + ": input '" + in +
                               "' is not defined (no graph input, initializer or node output has this name)");
        }
        node.inputs.push_back(id);
      }
      node.name = std::move(f.name);
      node.op_type = std::move(f.op_type);
      node.domain = std::move(f.domain);
      node.attributes = std::move(f.attributes);
    }
    for (const ValueInfoFields& out : g.outputs) {
      const ValueId id = find(out.name);
      if (id == kNoValue) return invalid_model("graph output '" + out.name + "' is not defined");
      // Declared output types feed shape inference's checks; inputs and
      // initializers already carry their own.
      if (is_node_output(id)) apply_value_info(out, graph_.values[static_cast<size_t>(id)]);
      graph_.outputs.push_back(id);
    }
    for (const ValueInfoFields& info : g.value_info) {
      // value_info is a hint; entries for names the graph lacks are stale, not errors.
      const ValueId id = find(info.name);
      if (id != kNoValue && is_node_output(id))
        apply_value_info(info, graph_.values[static_cast<size_t>(id)]);
    }
    graph_.reindex();
    return ok_status();
  }

 private:
  Result<ValueId> add(Value v, const std::string& role) {
    auto [it, inserted] = ids_.emplace(v.name, static_cast<ValueId>(graph_.values.size()));
    if (!inserted) {
      return invalid_model(role + " '" + v.name + "' has the name of another value (names must be unique)");
    }
    const ValueId id = graph_.add_value(std::move(v));
    FS_CHECK(id == it->second);
    return id;
  }
  ValueId find(const std::string& name) const {
    auto it = ids_.find(name);
    return it == ids_.end() ? kNoValue : it->second;
  }
  bool is_node_output(ValueId id) const {
    const Value& v = graph_.values[static_cast<size_t>(id)];
    return !v.is_constant() && id >= first_node_output_;
  }

  Graph& graph_;
  std::unordered_map<std::string, ValueId> ids_;
  ValueId first_node_output_ = 0;  // values from here on are node outputs
};

}  // namespace

Status read_graph_proto(pb::WireReader r, const TensorSources& sources, Graph& graph) {
  FS_ASSIGN_OR_RETURN(GraphFields fields, parse_graph_fields(r, sources));
  GraphBuilder builder(graph);
  return builder.build(fields);
}

}  // namespace fastserve
