// RunMemory (see run_memory.h).
#include "runtime/run_memory.h"

#include <algorithm>

#include "runtime/execution_plan.h"
#include "runtime/kernel.h"

namespace fastserve {
namespace {

// Elementwise ops whose kernels read element i of a same-shape input only
// before writing element i of the output, so the output may take over that
// input's buffer when nothing reads the input afterwards.
bool elementwise_in_place(const Node& n) {
  static const char* const kOps[] = {
      "Relu", "LeakyRelu", "Sigmoid", "Tanh", "Exp", "Log", "Neg", "Abs", "Sqrt", "Reciprocal", "Erf",
      "Gelu", "Elu", "Selu", "Softplus", "HardSigmoid", "HardSwish", "Clip", "Add", "Sub", "Mul", "Div"};
  const std::string_view domain = normalize_domain(n.domain);
  if (domain == "fastserve") return n.op_type == "FusedGelu" || n.op_type == "FusedAdd";
  if (!domain.empty()) return false;
  for (const char* op : kOps) {
    if (n.op_type == op) return true;
  }
  return false;
}

}  // namespace

ShapeMemoryPlan build_shape_memory_plan(const ExecutionPlan& plan, std::span<const size_t> sizes) {
  const Graph& g = plan.model->graph;
  const size_t num_values = g.values.size();
  std::vector<int32_t> producer(num_values, -1), last_use(num_values, -1);
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const Node& n = *plan.nodes[i].node;
    const auto index = static_cast<int32_t>(i);
    for (ValueId id : n.outputs) {
      if (id != kNoValue) producer[static_cast<size_t>(id)] = index;
    }
    for (ValueId id : n.inputs) {
      if (id != kNoValue) last_use[static_cast<size_t>(id)] = index;
    }
  }
  // A view (CompiledNode::view_of_input0) reads its source's buffer: the
  // source stays placed until the view's last use (chains of views too).
  std::vector<int64_t> root(num_values);
  for (size_t id = 0; id < num_values; ++id) root[id] = static_cast<int64_t>(id);
  for (const CompiledNode& cn : plan.nodes) {
    if (!cn.view_of_input0) continue;
    root[static_cast<size_t>(cn.node->outputs[0])] = root[static_cast<size_t>(cn.node->inputs[0])];
  }
  for (size_t id = 0; id < num_values; ++id) {
    const auto r = static_cast<size_t>(root[id]);
    if (r != id) last_use[r] = std::max(last_use[r], last_use[id]);
  }
  std::vector<bool> is_output(num_values, false);
  for (ValueId id : g.outputs) is_output[static_cast<size_t>(id)] = true;

  // In place: an elementwise node's output takes an input's buffer when that
  // input is an arena intermediate of the same byte size (not viewed by
  // anything: its root is itself and its life ends here) read last by this
  // node. shares[out] = the value whose placement it takes; the buffer's
  // life then runs on to the output's last use.
  std::vector<int64_t> shares(num_values, -1);
  std::vector<bool> has_views(num_values, false);
  for (size_t id = 0; id < num_values; ++id) {
    if (root[id] != static_cast<int64_t>(id)) has_views[static_cast<size_t>(root[id])] = true;
  }
  std::vector<int64_t> owner(num_values);  // the value whose buffer holds id (itself unless in place)
  for (size_t id = 0; id < num_values; ++id) owner[id] = static_cast<int64_t>(id);
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const Node& n = *plan.nodes[i].node;
    // Which inputs may give output 0 their buffer: any input of an
    // elementwise op, or the one input the kernel declares
    // (KernelDesc::output0_may_alias_input) unless that value is also read
    // through another input (Conv(x) + x: the conv still reads x).
    const KernelDesc* kd = plan.nodes[i].kernel;
    const int declared = kd != nullptr ? kd->output0_may_alias_input : -1;
    const bool elementwise = elementwise_in_place(n);
    if (plan.nodes[i].view_of_input0 || (!elementwise && declared < 0) || n.outputs.size() != 1 ||
        n.outputs[0] == kNoValue) {
      continue;
    }
    const auto out = static_cast<size_t>(n.outputs[0]);
    if (out >= sizes.size() || sizes[out] == 0 || is_output[out]) continue;
    for (size_t slot = 0; slot < n.inputs.size(); ++slot) {
      const ValueId in_id = n.inputs[slot];
      if (in_id == kNoValue) continue;
      if (!elementwise) {
        if (static_cast<int>(slot) != declared) continue;
        if (std::count(n.inputs.begin(), n.inputs.end(), in_id) != 1) continue;
      }
      const auto in = static_cast<size_t>(in_id);
      if (in >= sizes.size() || sizes[in] != sizes[out] || producer[in] < 0 || is_output[in] || has_views[in] ||
          last_use[in] != static_cast<int32_t>(i)) {
        continue;
      }
      // The same value twice (Mul(x, x)) is fine: both reads come before the write.
      const auto base = static_cast<size_t>(owner[in]);
      shares[out] = static_cast<int64_t>(base);
      owner[out] = static_cast<int64_t>(base);
      last_use[base] = std::max(last_use[base], last_use[out]);
      break;
    }
  }

  std::vector<BufferLifetime> buffers;
  std::vector<ValueId> ids;
  for (size_t id = 0; id < num_values && id < sizes.size(); ++id) {
    if (sizes[id] == 0 || producer[id] < 0 || is_output[id] || shares[id] >= 0) continue;
    buffers.push_back({sizes[id], producer[id], std::max(producer[id], last_use[id])});
    ids.push_back(static_cast<ValueId>(id));
  }
  const MemoryPlan mp = plan_memory(buffers);
  ShapeMemoryPlan out;
  out.offset.assign(num_values, -1);
  out.bytes.assign(num_values, 0);
  for (size_t i = 0; i < ids.size(); ++i) {
    out.offset[static_cast<size_t>(ids[i])] = static_cast<int64_t>(mp.offsets[i]);
    out.bytes[static_cast<size_t>(ids[i])] = buffers[i].bytes;
  }
  for (size_t id = 0; id < num_values && id < sizes.size(); ++id) {
    if (shares[id] < 0) continue;
    const auto base = static_cast<size_t>(shares[id]);
    out.offset[id] = out.offset[base];
    out.bytes[id] = out.bytes[base];
  }
  out.arena_bytes = mp.arena_bytes;
  // The naive figure: every planned intermediate in its own aligned buffer,
  // those computed in place included.
  out.naive_bytes = mp.naive_bytes;
  for (size_t id = 0; id < num_values && id < sizes.size(); ++id) {
    if (shares[id] >= 0) out.naive_bytes += (sizes[id] + kArenaAlignment - 1) / kArenaAlignment * kArenaAlignment;
  }
  return out;
}

std::shared_ptr<const ShapeMemoryPlan> RunMemory::find(const std::vector<int64_t>& signature) {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [sig, plan] : plans_) {
    if (sig == signature) {
      last_ = {plan->arena_bytes, plan->naive_bytes};
      return plan;
    }
  }
  return nullptr;
}

void RunMemory::record(const ExecutionPlan& plan, std::vector<int64_t> signature, std::span<const size_t> sizes) {
  auto built = std::make_shared<const ShapeMemoryPlan>(build_shape_memory_plan(plan, sizes));
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& entry : plans_) {
    if (entry.first == signature) return;  // a concurrent first run got here first
  }
  if (plans_.size() >= kMaxPlans) plans_.erase(plans_.begin());
  last_ = {built->arena_bytes, built->naive_bytes};
  plans_.emplace_back(std::move(signature), std::move(built));
}

MemoryReport RunMemory::last_report() {
  std::lock_guard<std::mutex> lock(mu_);
  return last_;
}

}  // namespace fastserve
