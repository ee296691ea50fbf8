// NodeView attribute accessors.
//
// Accessors return the default when the attribute is absent or has another
// kind than asked for (a malformed model then behaves as if the attribute were
// missing; ops that must reject such models check attr(name)->kind). One
// leniency: attr_float accepts an int attribute, because hand-built models
// often write alpha=1 as an INT.
#include "fastserve/node_view.h"

namespace fastserve {

const Attribute* NodeView::attr(std::string_view name) const {
  if (attrs_ == nullptr) return nullptr;
  for (const Attribute& a : *attrs_) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

int64_t NodeView::attr_int(std::string_view name, int64_t def) const {
  const Attribute* a = attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kInt ? a->i : def;
}

float NodeView::attr_float(std::string_view name, float def) const {
  const Attribute* a = attr(name);
  if (a == nullptr) return def;
  if (a->kind == Attribute::Kind::kFloat) return a->f;
  if (a->kind == Attribute::Kind::kInt) return static_cast<float>(a->i);
  return def;
}

std::string NodeView::attr_string(std::string_view name, std::string def) const {
  const Attribute* a = attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kString ? a->s : def;
}

std::vector<int64_t> NodeView::attr_ints(std::string_view name, std::vector<int64_t> def) const {
  const Attribute* a = attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kInts ? a->ints : def;
}

std::vector<float> NodeView::attr_floats(std::string_view name, std::vector<float> def) const {
  const Attribute* a = attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kFloats ? a->floats : def;
}

const Tensor* NodeView::attr_tensor(std::string_view name) const {
  const Attribute* a = attr(name);
  return a != nullptr && a->kind == Attribute::Kind::kTensor ? &a->t : nullptr;
}

std::string NodeView::describe() const {
  if (name_.empty()) return "unnamed node (" + std::string(op_type_) + ")";
  return "node '" + std::string(name_) + "' (" + std::string(op_type_) + ")";
}

}  // namespace fastserve
