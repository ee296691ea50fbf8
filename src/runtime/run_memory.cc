// RunMemory (see run_memory.h).
#include "runtime/run_memory.h"

#include <algorithm>

#include "runtime/execution_plan.h"

namespace fastserve {

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

  std::vector<BufferLifetime> buffers;
  std::vector<ValueId> ids;
  for (size_t id = 0; id < num_values && id < sizes.size(); ++id) {
    if (sizes[id] == 0 || producer[id] < 0 || is_output[id]) continue;
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
  out.arena_bytes = mp.arena_bytes;
  out.naive_bytes = mp.naive_bytes;
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
