// Checks a run's inputs against the model's declared inputs and binds them
// to their value slots.
#pragma once

#include <span>
#include <vector>

#include "fastserve/session.h"
#include "runtime/execution_plan.h"

namespace fastserve {

// Every graph input must be given exactly once by name, with the declared
// dtype, rank and static dims; dims sharing a symbolic name (dim_param) must
// agree across inputs. On success slots[id] points at the caller's tensor for
// each graph input. Errors are kInvalidArgument and start with the model name.
Status bind_inputs(const ExecutionPlan& plan, std::span<const NamedTensor> inputs,
                   std::vector<const Tensor*>& slots);

}  // namespace fastserve
