// Helpers for the pass tests: run one pass the way run_passes does (shapes
// inferred before, graph verified after), count ops, build attributes, and
// check that a model computes the same outputs at level 0 and level 3.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "fastserve/graph.h"
#include "fastserve/session.h"
#include "passes/pass_manager.h"

namespace fastserve::testing {

// Infers shapes, runs `pass` with a context whose evaluator runs kernels
// (unless `with_evaluator` is false), then checks the graph verifies.
// Returns the context (rewrites, touched ops).
PassContext run_pass(Model& model, PassFn pass, bool with_evaluator = true);

// Nodes with this op key ("Conv", "fastserve.FusedConv").
int64_t count_op(const Graph& g, const std::string& key);
// The node writing the value named `value_name`, or null.
const Node* producer_of(const Graph& g, const std::string& value_name);
// Name of input i of the node ("" when omitted).
std::string input_name(const Graph& g, const Node& n, size_t i);

// Random inputs (fixed seed) for every graph input; unknown dims become 3.
std::vector<NamedTensor> random_inputs(const Model& model, uint32_t seed);

// Runs the model through a Session at level 0 and at `level` on the same
// random inputs; every output must agree within atol + rtol * |expected|.
// Returns the optimized session (for its report and graph), or null after
// a failure was recorded.
std::unique_ptr<Session> expect_same_outputs(std::shared_ptr<const Model> model, uint32_t seed, int level = 3,
                                             double atol = 1e-5, double rtol = 1e-5);

}  // namespace fastserve::testing
