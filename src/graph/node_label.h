// How graph-level code names a node in messages (internal to src/graph).
#pragma once

#include <string>

#include "fastserve/graph.h"

namespace fastserve {

// "node 'conv1' (Conv)", or "node #3 (Conv)" for an unnamed node: the same
// wording as NodeView::describe(), plus the index when there is no name.
std::string node_label(const Node& node, size_t index);

}  // namespace fastserve
