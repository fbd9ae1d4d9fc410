#include "store.hpp"

#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include <fmt/format.h>

namespace bmcsim {
namespace fs = std::filesystem;
namespace json = boost::json;

Reply error_reply(unsigned status, std::string_view message) {
  json::object err{{"error", json::object{{"code", "Base.1.0.GeneralError"},
                                          {"message", std::string(message)}}}};
  return {status, json::serialize(err), {}, {}};
}

namespace {

std::string query_param(std::string_view query, std::string_view name) {
  std::string q(query);
  std::size_t pos = 0;
  while (pos < q.size()) {
    auto end = q.find('&', pos);
    if (end == std::string::npos) end = q.size();
    auto item = q.substr(pos, end - pos);
    auto eq = item.find('=');
    if (item.substr(0, eq) == name) return eq == std::string::npos ? "" : item.substr(eq + 1);
    pos = end + 1;
  }
  return {};
}

bool has_param(std::string_view query, std::string_view name) {
  return query.find(name) != std::string_view::npos;
}

std::string merge_patch(json::object& target, const json::object& patch, const std::string& at);

// Redfish array PATCH rules (DSP0266 "PATCH on array properties"): {} leaves
// an element unchanged, null removes it, an object is merged into the element
// at that position, and a PATCH with fewer elements removes the remaining ones.
std::string patch_array(json::array& target, const json::array& patch, const std::string& at) {
  json::array out;
  for (std::size_t i = 0; i < patch.size(); ++i) {
    const auto& p = patch[i];
    if (p.is_null()) continue;
    if (i < target.size() && p.is_object() && target[i].is_object()) {
      auto element = target[i];
      auto problem = merge_patch(element.as_object(), p.as_object(), fmt::format("{}{}/", at, i));
      if (!problem.empty()) return problem;
      out.push_back(std::move(element));
    } else {
      out.push_back(p);
    }
  }
  target = std::move(out);
  return {};
}

// A PATCH may only change properties that exist, keep their JSON kind (a null
// accepts anything) and, where the resource lists allowable values, use one.
std::string merge_patch(json::object& target, const json::object& patch, const std::string& at) {
  for (const auto& [key, value] : patch) {
    const std::string name(key);
    if (name.empty() || name[0] == '@' || name == "Id" || name.find("@odata") != name.npos)
      return fmt::format("property {}{} is read-only", at, name);
    auto it = target.find(key);
    if (it == target.end()) return fmt::format("property {}{} is unknown", at, name);
    if (value.is_object() && it->value().is_object()) {
      auto problem = merge_patch(it->value().as_object(), value.as_object(), at + name + "/");
      if (!problem.empty()) return problem;
      continue;
    }
    if (value.is_array() && it->value().is_array()) {
      auto problem = patch_array(it->value().as_array(), value.as_array(), at + name + "/");
      if (!problem.empty()) return problem;
      continue;
    }
    const auto& old = it->value();
    if (!old.is_null() && !value.is_null() && old.kind() != value.kind() &&
        !(old.is_number() && value.is_number()))
      return fmt::format("property {}{} has the wrong type", at, name);
    if (auto allowed = target.find(name + "@Redfish.AllowableValues");
        allowed != target.end() && allowed->value().is_array()) {
      bool ok = false;
      for (const auto& a : allowed->value().as_array()) ok = ok || a == value;
      if (!ok) return fmt::format("value for {}{} is not allowable", at, name);
    }
    it->value() = value;
  }
  return {};
}

}  // namespace

std::string Store::normalize(std::string_view path) {
  std::string p(path.substr(0, path.find('#')));
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Store::etag_of(const json::value& v) {
  return fmt::format("W/\"{:016x}\"", std::hash<std::string>{}(json::serialize(v)));
}

bool Store::load(const std::string& dir, std::string* error) {
  const fs::path base = fs::path(dir);
  std::error_code ec;
  if (!fs::is_directory(base / "redfish" / "v1", ec)) {
    *error = fmt::format("{}: no redfish/v1 folder (expected the DMTF mockup layout)", dir);
    return false;
  }
  for (auto it = fs::recursive_directory_iterator(base / "redfish", ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec || it->path().filename() != "index.json") continue;
    std::ifstream in(it->path());
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code jec;
    auto value = json::parse(text.str(), jec);
    if (jec) {
      *error = fmt::format("{}: {}", it->path().string(), jec.message());
      return false;
    }
    auto rel = "/" + fs::relative(it->path().parent_path(), base).generic_string();
    resources_[normalize(rel)] = std::move(value);
  }
  if (!find("/redfish/v1")) {
    *error = fmt::format("{}: redfish/v1/index.json (the service root) is missing", dir);
    return false;
  }
  return true;
}

const json::value* Store::find(std::string_view path) const {
  auto it = resources_.find(normalize(path));
  return it == resources_.end() ? nullptr : &it->second;
}

json::value* Store::find(std::string_view path) {
  auto it = resources_.find(normalize(path));
  return it == resources_.end() ? nullptr : &it->second;
}

std::string Store::sessions_path() const {
  const auto* root = find("/redfish/v1");
  if (const auto* p = root->as_object().if_contains("Links"))
    if (const auto* s = p->as_object().if_contains("Sessions"))
      if (const auto* id = s->as_object().if_contains("@odata.id"))
        return normalize(id->as_string());
  return "/redfish/v1/SessionService/Sessions";
}

bool Store::expand_supported() const {
  const auto* root = find("/redfish/v1");
  const auto* f = root->as_object().if_contains("ProtocolFeaturesSupported");
  if (!f || !f->is_object()) return false;
  const auto* e = f->as_object().if_contains("ExpandQuery");
  if (!e || !e->is_object()) return false;
  const auto* levels = e->as_object().if_contains("Levels");
  const auto* all = e->as_object().if_contains("ExpandAll");
  return (levels && levels->is_bool() && levels->as_bool()) ||
         (all && all->is_bool() && all->as_bool());
}

bool Store::top_skip_supported() const {
  const auto* root = find("/redfish/v1");
  const auto* f = root->as_object().if_contains("ProtocolFeaturesSupported");
  if (!f || !f->is_object()) return false;
  const auto* t = f->as_object().if_contains("TopSkipQuery");
  return t && t->is_bool() && t->as_bool();
}

json::value Store::expanded(const json::object& collection) const {
  json::object out = collection;
  json::array members;
  for (const auto& m : collection.at("Members").as_array()) {
    const auto* id = m.is_object() ? m.as_object().if_contains("@odata.id") : nullptr;
    const auto* full = id && id->is_string() ? find(id->as_string()) : nullptr;
    members.push_back(full ? *full : m);
  }
  out["Members"] = std::move(members);
  return out;
}

void Store::page(json::object& collection, std::string_view path, std::string_view query) const {
  auto& members = collection["Members"].as_array();
  const auto total = members.size();
  const auto skip = std::min<std::size_t>(std::stoul("0" + query_param(query, "$skip")), total);
  json::array slice;
  for (std::size_t i = skip; i < total && slice.size() < page_size; ++i)
    slice.push_back(members[i]);
  members = std::move(slice);
  collection["Members@odata.count"] = total;
  collection.erase("Members@odata.nextLink");
  if (page_links && skip + page_size < total)
    collection["Members@odata.nextLink"] = fmt::format("{}?$skip={}", path, skip + page_size);
}

Reply Store::get(std::string_view path, std::string_view query) const {
  const auto* v = find(path);
  if (!v) return error_reply(404, fmt::format("{} not found", path));
  json::value body = *v;
  const bool collection = v->is_object() && v->as_object().contains("Members");
  if (has_param(query, "$expand")) {
    if (!expand_supported()) return error_reply(501, "$expand is not supported");
    if (collection) body = expanded(v->as_object());
  }
  // The service honours the $skip of its own nextLinks, advertised or not.
  if (collection && page_size > 0 && !has_param(query, "$top")) {
    page(body.as_object(), path, query);
  } else if (has_param(query, "$top") || has_param(query, "$skip")) {
    if (!top_skip_supported()) return error_reply(501, "$top/$skip are not supported");
    if (collection) {
      auto& members = body.as_object()["Members"].as_array();
      const auto skip =
          std::min<std::size_t>(std::stoul("0" + query_param(query, "$skip")), members.size());
      auto top_text = query_param(query, "$top");
      const std::size_t top = top_text.empty() ? members.size() : std::stoul("0" + top_text);
      json::array sliced;
      for (std::size_t i = skip; i < members.size() && sliced.size() < top; ++i)
        sliced.push_back(members[i]);
      body.as_object()["Members@odata.count"] = members.size();
      members = std::move(sliced);
    }
  }
  // A body that names its ETag names the current one, as a real service's does.
  if (body.is_object() && body.as_object().contains("@odata.etag"))
    body.as_object()["@odata.etag"] = etag_of(*v);
  return {200, json::serialize(body), etag_of(*v), {}};
}

Reply Store::patch(std::string_view path, std::string_view text, std::string_view if_match) {
  auto* v = find(path);
  if (!v) return error_reply(404, fmt::format("{} not found", path));
  if (!if_match.empty() && if_match != "*" && if_match != etag_of(*v))
    return error_reply(412, "ETag does not match (If-Match)");
  boost::system::error_code ec;
  auto body = json::parse(text, ec);
  if (ec || !body.is_object()) return error_reply(400, "PATCH body is not a JSON object");
  json::value copy = *v;
  auto problem = merge_patch(copy.as_object(), body.as_object(), "");
  if (!problem.empty()) return error_reply(400, problem);
  *v = std::move(copy);
  if (v->as_object().contains("@odata.etag")) v->as_object()["@odata.etag"] = etag_of(*v);
  return {200, json::serialize(*v), etag_of(*v), {}};
}

std::optional<std::string> Store::action_name(const std::string& target) const {
  // Only targets a resource advertises are actions: an unadvertised one is a 404,
  // exactly what a client that guesses URLs deserves.
  for (const auto& [owner, v] : resources_) {
    if (!v.is_object()) continue;
    const auto* actions = v.as_object().if_contains("Actions");
    if (!actions || !actions->is_object()) continue;
    for (const auto& [name, a] : actions->as_object()) {
      const auto* t = a.is_object() ? a.as_object().if_contains("target") : nullptr;
      if (t && t->is_string() && normalize(t->as_string()) == target)
        return owner + "|" + std::string(name);
    }
  }
  return std::nullopt;
}

Reply Store::post_action(std::string_view path, std::string_view text) {
  auto found = action_name(normalize(path));
  if (!found) return error_reply(404, fmt::format("{} is not an advertised action", path));
  boost::system::error_code ec;
  auto args = text.empty() ? json::value(json::object{}) : json::parse(text, ec);
  if (ec || !args.is_object()) return error_reply(400, "action body is not a JSON object");
  auto bar = found->find('|');
  return apply_action(found->substr(0, bar), found->substr(bar + 1), args.as_object());
}

Reply Store::apply_action(const std::string& owner, const std::string& action,
                          const json::object& args) {
  auto& res = find(owner)->as_object();
  if (action.ends_with("LogService.ClearLog")) {
    const auto* link = res.if_contains("Entries");
    if (link && link->is_object()) {
      auto entries = normalize(link->as_object().at("@odata.id").as_string());
      if (auto* coll = find(entries)) {
        for (const auto& m : coll->as_object()["Members"].as_array())
          if (m.is_object() && m.as_object().contains("@odata.id"))
            erase(normalize(m.as_object().at("@odata.id").as_string()));
        coll->as_object()["Members"] = json::array{};
        coll->as_object()["Members@odata.count"] = 0;
      }
    }
  } else if (action.ends_with("VirtualMedia.EjectMedia")) {
    res["Inserted"] = false;
    res["Image"] = nullptr;
    if (res.contains("ImageName")) res["ImageName"] = nullptr;
    if (res.contains("ConnectedVia")) res["ConnectedVia"] = "NotConnected";
  } else if (action.ends_with("VirtualMedia.InsertMedia")) {
    const auto* image = args.if_contains("Image");
    if (!image || !image->is_string()) return error_reply(400, "InsertMedia needs Image");
    res["Inserted"] = true;
    res["Image"] = *image;
    if (res.contains("ConnectedVia")) res["ConnectedVia"] = "URI";
  }
  return {204, "", {}, {}};
}

}  // namespace bmcsim
