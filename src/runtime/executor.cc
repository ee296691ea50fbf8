// execute_plan: runs the compiled nodes in order for one request.
//
// All per-run state (the value slots and the tensors produced) lives in this
// call, so concurrent runs of one plan share only read-only data: the model,
// the prepared kernel states and the thread pool (which runs a second
// concurrent parallel_for inline). Output shapes come from the op's infer
// function on the concrete inputs, so dynamic shapes need no special path.
//
// With a RunProfile, each kernel run() is bracketed by steady_clock reads;
// without one the only cost is a null check per node.
//
// Intermediate tensors are carved out of a leased arena when a memory plan
// exists for these input shapes (run_memory.h); a tensor larger than planned
// (a data-dependent shape) simply gets its own allocation.
#include <chrono>
#include <string>
#include <vector>

#include "runtime/arena_pool.h"
#include "runtime/bind_inputs.h"
#include "runtime/execution_plan.h"
#include "runtime/run_memory.h"

namespace fastserve {
namespace {

// Kernels and infer functions name the node via node.error(); add the node
// when one did not, so every run error says where it happened.
Status with_node(const Status& s, const NodeView& view, const std::string& display) {
  if (s.ok()) return s;
  const std::string who = view.describe();
  Status named = s.message().find(who) == std::string::npos ? s.with_context(who) : s;
  return with_model_name(named, display);
}

// Gives `profile` one entry per plan node, unless it already has them from
// an earlier run of this plan.
void prepare_profile(const ExecutionPlan& plan, RunProfile& profile) {
  const Node* first = plan.model->graph.nodes.data();
  bool matches = profile.nodes.size() == plan.nodes.size();
  for (size_t i = 0; matches && i < plan.nodes.size(); ++i) {
    matches = profile.nodes[i].node_index == static_cast<int32_t>(plan.nodes[i].node - first) &&
              profile.nodes[i].kernel_name == plan.nodes[i].kernel->name;
  }
  if (matches) return;
  profile = RunProfile{};
  profile.nodes.resize(plan.nodes.size());
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const CompiledNode& cn = plan.nodes[i];
    NodeProfile& np = profile.nodes[i];
    np.node_index = static_cast<int32_t>(cn.node - first);
    np.node_name = cn.node->name;
    np.op_type = cn.node->op_type;
    np.kernel_name = cn.kernel->name;
  }
}

void record_shapes(const std::vector<TensorInfo>& infos, std::vector<Shape>& shapes) {
  shapes.resize(infos.size());
  for (size_t i = 0; i < infos.size(); ++i) shapes[i] = infos[i].present ? infos[i].shape : Shape();
}

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// The input shapes, flattened with their ranks: the key of a memory plan.
std::vector<int64_t> shape_signature(const Graph& g, const std::vector<const Tensor*>& slots) {
  std::vector<int64_t> sig;
  for (ValueId id : g.inputs) {
    const Tensor* t = slots[static_cast<size_t>(id)];
    if (t == nullptr) continue;
    sig.push_back(static_cast<int64_t>(t->rank()));
    for (int64_t d : t->shape().dims()) sig.push_back(d);
  }
  return sig;
}

}  // namespace

Result<std::vector<NamedTensor>> execute_plan(const ExecutionPlan& plan, std::span<const NamedTensor> inputs,
                                              ThreadPool& pool, RunMemory* memory, RunProfile* profile) {
  const auto run_start = profile ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
  if (profile) prepare_profile(plan, *profile);
  const Graph& g = plan.model->graph;
  const size_t num_values = g.values.size();
  // slots[id]: the tensor currently holding value id (an initializer, a
  // caller's input, or produced[id]); null before it exists or once released.
  std::vector<const Tensor*> slots(num_values, nullptr);
  for (size_t id = 0; id < num_values; ++id) {
    if (g.values[id].is_constant()) slots[id] = &g.values[id].initializer;
  }
  FS_RETURN_IF_ERROR(bind_inputs(plan, inputs, slots));

  // The arena for this run (declared before `produced`, which views it, so
  // it outlives them), or the sizes to record for the next run.
  std::vector<int64_t> signature;
  std::shared_ptr<const ShapeMemoryPlan> mem_plan;
  ArenaPool::Lease arena;
  std::vector<size_t> recorded;
  if (memory != nullptr) {
    signature = shape_signature(g, slots);
    mem_plan = memory->find(signature);
    if (mem_plan != nullptr) {
      arena = memory->arenas().acquire(mem_plan->arena_bytes);
      if (arena.data() == nullptr) mem_plan = nullptr;  // out of memory: fall back to plain allocation
    } else {
      recorded.assign(num_values, 0);
    }
  }

  std::vector<Tensor> produced(num_values);
  // Scratch reused from node to node (per call, never shared).
  std::vector<TensorInfo> in_infos, out_infos;
  std::vector<const Tensor*> in_ptrs;
  std::vector<Tensor*> out_ptrs;
  for (size_t node_pos = 0; node_pos < plan.nodes.size(); ++node_pos) {
    const CompiledNode& cn = plan.nodes[node_pos];
    const Node& n = *cn.node;
    const std::string_view domain = normalize_domain(n.domain);
    in_infos.assign(n.inputs.size(), TensorInfo{});
    in_ptrs.assign(n.inputs.size(), nullptr);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const ValueId id = n.inputs[i];
      if (id == kNoValue) continue;
      const Tensor* t = slots[static_cast<size_t>(id)];
      if (t == nullptr) {
        return internal_error(plan.display_name + ": node '" + n.name + "' (" + n.op_type + "): input '" +
                              g.values[static_cast<size_t>(id)].name + "' has no value at run time");
      }
      in_infos[i] = TensorInfo::of(*t);
      in_ptrs[i] = t;
    }
    out_infos.assign(n.outputs.size(), TensorInfo{});
    for (size_t i = 0; i < n.outputs.size(); ++i) out_infos[i].present = n.outputs[i] != kNoValue;

    {
      const NodeView infer_view(n.name, n.op_type, domain, cn.opset, &n.attributes, in_infos, out_infos);
      FS_RETURN_IF_ERROR(with_node(cn.schema->infer(infer_view, out_infos), infer_view, plan.display_name));
    }
    FS_CHECK_MSG(out_infos.size() == n.outputs.size(), "infer function resized its outputs");
    // A fresh view: the kernel sees the inferred output infos.
    const NodeView view(n.name, n.op_type, domain, cn.opset, &n.attributes, in_infos, out_infos);

    out_ptrs.assign(n.outputs.size(), nullptr);
    bool viewed = false;  // output 0 became a view of input 0: nothing to run
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      const ValueId id = n.outputs[i];
      if (id == kNoValue) continue;
      const TensorInfo& info = out_infos[i];
      if (info.dtype == DType::kUndefined || !info.shape_known || !info.shape.is_static()) {
        return internal_error(plan.display_name + ": " + view.describe() + ": output " + std::to_string(i) +
                              " has no concrete dtype/shape at run time (infer function bug)");
      }
      Tensor& t = produced[static_cast<size_t>(id)];
      const auto vid = static_cast<size_t>(id);
      const size_t bytes = static_cast<size_t>(info.shape.numel()) * dtype_size(info.dtype);
      if (cn.view_of_input0 && in_ptrs[0] != nullptr && in_ptrs[0]->dtype() == info.dtype &&
          in_ptrs[0]->numel() == info.shape.numel()) {
        // A view: input 0's buffer (kept alive by its owner, or by the memory
        // plan when it is in the arena) under the inferred shape.
        t = in_ptrs[0]->reshaped(info.shape);
        viewed = true;
      } else if (mem_plan != nullptr && mem_plan->offset[vid] >= 0 && bytes <= mem_plan->bytes[vid]) {
        t = Tensor::wrap(info.dtype, info.shape, arena.data() + mem_plan->offset[vid], nullptr);
      } else {
        t = Tensor::empty(info.dtype, info.shape);
      }
      if (!recorded.empty() && !viewed) recorded[vid] = bytes;  // a view takes no arena space
      slots[static_cast<size_t>(id)] = &t;
      out_ptrs[i] = &t;
    }

    const KernelContext ctx{view, in_ptrs, out_ptrs, cn.state.get(), &pool};
    if (viewed) {
      if (profile) {
        NodeProfile& np = profile->nodes[node_pos];
        ++np.calls;
        record_shapes(in_infos, np.input_shapes);
        record_shapes(out_infos, np.output_shapes);
      }
    } else if (profile) {
      const auto t0 = std::chrono::steady_clock::now();
      const Status s = cn.kernel->run(ctx);
      const auto t1 = std::chrono::steady_clock::now();
      NodeProfile& np = profile->nodes[node_pos];
      np.total_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
      ++np.calls;
      record_shapes(in_infos, np.input_shapes);
      record_shapes(out_infos, np.output_shapes);
      FS_RETURN_IF_ERROR(with_node(s, view, plan.display_name));
    } else {
      FS_RETURN_IF_ERROR(with_node(cn.kernel->run(ctx), view, plan.display_name));
    }

    for (ValueId id : cn.release_after) {
      produced[static_cast<size_t>(id)] = Tensor();
      slots[static_cast<size_t>(id)] = nullptr;
    }
  }

  std::vector<NamedTensor> outputs;
  outputs.reserve(g.outputs.size());
  for (ValueId id : g.outputs) {
    const Tensor* t = slots[static_cast<size_t>(id)];
    if (t == nullptr) {
      return internal_error(plan.display_name + ": output '" + g.values[static_cast<size_t>(id)].name +
                            "' was not produced");
    }
    outputs.push_back({g.values[static_cast<size_t>(id)].name, *t});
  }
  if (profile) {
    ++profile->runs;
    profile->run_ms += ms_since(run_start);
  }
  if (!recorded.empty()) memory->record(plan, std::move(signature), recorded);
  return outputs;
}

}  // namespace fastserve
