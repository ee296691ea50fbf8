// Text and JSON forms of a PassReport and of a graph's node list (see
// pass_report_text.h).
#include "cli/pass_report_text.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <map>
#include <vector>

#include "cli/cli_common.h"

namespace fastserve::cli {
namespace {

std::string op_key(const Node& n) { return n.domain.empty() ? n.op_type : n.domain + "." + n.op_type; }

// "Conv 2, Relu 2" for the touched op types present in `counts`; "(none)" when none is.
std::string touched_counts(const PassRun& run, const std::map<std::string, int64_t>& counts) {
  std::string s;
  for (const std::string& op : run.touched_ops) {
    auto it = counts.find(op);
    if (it == counts.end() || it->second == 0) continue;
    s += fmt::format("{}{} {}", s.empty() ? "" : ", ", op, it->second);
  }
  return s.empty() ? "(none)" : s;
}

std::string json_counts(const PassRun& run, const std::map<std::string, int64_t>& counts) {
  std::string s = "{";
  for (const std::string& op : run.touched_ops) {
    auto it = counts.find(op);
    s += fmt::format("{}{}:{}", s.size() > 1 ? "," : "", json_string(op), it == counts.end() ? 0 : it->second);
  }
  return s + "}";
}

std::string value_name(const Graph& g, ValueId id) {
  return id == kNoValue ? std::string() : g.values[static_cast<size_t>(id)].name;
}

// Attributes worth a glance in a node list: what a fusion chose.
std::string fused_attributes(const Node& n) {
  std::string s;
  if (const Attribute* a = n.attr("activation"); a != nullptr && !a->s.empty()) {
    s += "activation=" + a->s;
    if (const Attribute* p = n.attr("activation_params"); p != nullptr && !p->floats.empty()) {
      s += "(" + fmt::format("{}", fmt::join(p->floats, ", ")) + ")";
    }
  }
  return s;
}

}  // namespace

std::string pass_report_text(const PassReport& report) {
  std::string out = fmt::format("passes (level {}): {} nodes -> {} nodes\n", report.level, report.nodes_before,
                                report.nodes_after);
  if (report.runs.empty()) return out + "  (none run)\n";
  for (const PassRun& run : report.runs) {
    std::string what;
    if (run.rewrites == 0) {
      what = "no change";
    } else if (!run.touched_ops.empty()) {
      what = touched_counts(run, run.ops_before) + " -> " + touched_counts(run, run.ops_after);
    }
    if (run.initializers_before != run.initializers_after) {
      what += fmt::format("{}initializers {} -> {}", what.empty() ? "" : "; ", run.initializers_before,
                          run.initializers_after);
    }
    out += fmt::format("  {}{}: {}  [{} rewrite{}, {:.2f} ms]\n", run.name,
                       run.round > 1 ? fmt::format(" (round {})", run.round) : "", what, run.rewrites,
                       run.rewrites == 1 ? "" : "s", run.milliseconds);
  }
  return out;
}

std::string pass_report_json(const PassReport& report) {
  std::string out = fmt::format("{{\"level\":{},\"nodes_before\":{},\"nodes_after\":{},\"runs\":[", report.level,
                                report.nodes_before, report.nodes_after);
  for (size_t i = 0; i < report.runs.size(); ++i) {
    const PassRun& r = report.runs[i];
    out += fmt::format(
        "{}{{\"name\":{},\"round\":{},\"rewrites\":{},\"ops_before\":{},\"ops_after\":{},\"nodes_before\":{},"
        "\"nodes_after\":{},\"initializers_before\":{},\"initializers_after\":{},\"milliseconds\":{}}}",
        i ? "," : "", json_string(r.name), r.round, r.rewrites, json_counts(r, r.ops_before),
        json_counts(r, r.ops_after), r.nodes_before, r.nodes_after, r.initializers_before, r.initializers_after,
        json_number(r.milliseconds));
  }
  return out + "]}";
}

std::string node_list_text(const Graph& g) {
  std::string out;
  for (const Node& n : g.nodes) {
    std::vector<std::string> ins, outs;
    for (ValueId id : n.inputs) ins.push_back(id == kNoValue ? "\"\"" : value_name(g, id));
    for (ValueId id : n.outputs) outs.push_back(value_name(g, id));
    const std::string attrs = fused_attributes(n);
    out += fmt::format("  {} ({}): {} -> {}{}\n", n.name.empty() ? "<unnamed>" : n.name, op_key(n),
                       fmt::join(ins, ", "), fmt::join(outs, ", "), attrs.empty() ? "" : "  " + attrs);
  }
  return out;
}

std::string node_list_json(const Graph& g) {
  auto names = [&](const std::vector<ValueId>& ids) {
    std::string s = "[";
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? "," : "") + json_string(value_name(g, ids[i]));
    return s + "]";
  };
  std::string out = "[";
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const Node& n = g.nodes[i];
    out += fmt::format("{}{{\"name\":{},\"op\":{},\"inputs\":{},\"outputs\":{}", i ? "," : "", json_string(n.name),
                       json_string(op_key(n)), names(n.inputs), names(n.outputs));
    if (const Attribute* a = n.attr("activation"); a != nullptr && !a->s.empty()) {
      out += ",\"activation\":" + json_string(a->s);
    }
    out += "}";
  }
  return out + "]";
}

}  // namespace fastserve::cli
