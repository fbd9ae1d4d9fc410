#include "redfish/json.hpp"

#include <fmt/format.h>
#include <boost/json.hpp>

namespace bmcquiet::redfish {
namespace bj = boost::json;

namespace {
const bj::value* as_value(const void* p) { return static_cast<const bj::value*>(p); }
}  // namespace

std::optional<Json> Json::parse(std::string_view text, std::string* error) {
  boost::system::error_code ec;
  bj::parse_options options;
  options.max_depth = 64;  // a hostile body must not blow the stack
  auto value = std::make_shared<bj::value>(bj::parse(text, ec, {}, options));
  if (ec) {
    if (error) *error = fmt::format("invalid JSON ({})", ec.message());
    return std::nullopt;
  }
  const void* node = value.get();
  return Json(std::shared_ptr<const void>(value), node);
}

std::string Json::quote(std::string_view text) { return bj::serialize(bj::string(text)); }

bool Json::is_null() const { return !node_ || as_value(node_)->is_null(); }
bool Json::is_object() const { return node_ && as_value(node_)->is_object(); }
bool Json::is_array() const { return node_ && as_value(node_)->is_array(); }
bool Json::is_string() const { return node_ && as_value(node_)->is_string(); }
bool Json::is_number() const { return node_ && as_value(node_)->is_number(); }
bool Json::is_bool() const { return node_ && as_value(node_)->is_bool(); }

Json Json::operator[](std::string_view key) const {
  if (!is_object()) return {};
  const auto* v = as_value(node_)->as_object().if_contains(key);
  return v ? Json(doc_, v) : Json();
}

Json Json::operator[](std::size_t index) const {
  if (!is_array() || index >= as_value(node_)->as_array().size()) return {};
  return Json(doc_, &as_value(node_)->as_array()[index]);
}

bool Json::contains(std::string_view key) const {
  return is_object() && as_value(node_)->as_object().contains(key);
}

std::size_t Json::size() const {
  if (is_array()) return as_value(node_)->as_array().size();
  if (is_object()) return as_value(node_)->as_object().size();
  return 0;
}

std::vector<std::string> Json::keys() const {
  std::vector<std::string> out;
  if (is_object())
    for (const auto& kv : as_value(node_)->as_object()) out.emplace_back(kv.key());
  return out;
}

std::optional<std::string> Json::string() const {
  if (!is_string()) return std::nullopt;
  return std::string(as_value(node_)->as_string());
}

std::optional<double> Json::number() const {
  if (!is_number()) return std::nullopt;
  return as_value(node_)->to_number<double>();
}

std::optional<bool> Json::boolean() const {
  if (!is_bool()) return std::nullopt;
  return as_value(node_)->as_bool();
}

std::string Json::link() const { return (*this)["@odata.id"].string().value_or(""); }

std::string Json::dump() const { return node_ ? bj::serialize(*as_value(node_)) : "null"; }

}  // namespace bmcquiet::redfish
