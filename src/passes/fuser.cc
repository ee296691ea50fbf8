// Fuser (see fuser.h).
#include "passes/fuser.h"

#include "graph/op_schema.h"
#include "passes/graph_edit.h"
#include "passes/match_activation.h"

namespace fastserve {

Fuser::Fuser(Model& model, PassContext& ctx)
    : model_(model), g_(model.graph), ctx_(ctx), consumers_(consumers_of(g_)), is_output_(graph_output_flags(g_)),
      removed_(g_.nodes.size(), false) {}

Status Fuser::run() {
  auto imported = model_.opsets.find(std::string(kFastServeDomain));
  if (imported != model_.opsets.end() && imported->second != kFusedOpsetVersion) return ok_status();
  for (size_t n = 0; n < g_.nodes.size(); ++n) {
    if (!removed_[n]) try_fuse(n);
  }
  if (any_) {
    model_.opsets[std::string(kFastServeDomain)] = kFusedOpsetVersion;
    remove_nodes(g_, removed_);
  }
  return ok_status();
}

int32_t Fuser::reader_of(ValueId id) const {
  const int32_t r = sole_consumer(consumers_, is_output_, id);
  return r >= 0 && !removed_[static_cast<size_t>(r)] ? r : -1;
}

void Fuser::install(std::vector<std::string> ops, const std::vector<size_t>& chain, size_t last, Node fused) {
  ops.push_back(install_fused_node(g_, removed_, chain, last, std::move(fused)));
  any_ = true;
  ctx_.note_rewrite(ops);
}

}  // namespace fastserve
