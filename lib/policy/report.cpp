#include "policy/report.hpp"

#include <boost/json.hpp>

namespace bmcquiet::policy {

namespace json = boost::json;

namespace {

json::value pause_value(const EngineStatus& s) {
  if (!s.pause) return nullptr;
  return json::object{
      {"since", s.pause->since_unix}, {"until", s.pause->until_unix}, {"reason", s.pause->reason}};
}

json::object item_value(const ItemStatus& i) {
  return json::object{
      {"setting", to_string(i.id)},   {"mode", to_string(i.mode)}, {"state", to_string(i.state)},
      {"visible_state", i.visible},   {"current", i.current},      {"desired", i.desired},
      {"detail", i.detail},           {"transport", i.transport},  {"flapping", i.flapping},
      {"backing_off", i.backing_off}, {"drifts", i.drifts},        {"reapplies", i.reapplies},
      {"failures", i.failures}};
}

}  // namespace

std::string status_json(const EngineStatus& s) {
  json::array items;
  for (const auto& i : s.items) items.push_back(item_value(i));
  json::object root{{"discovered", s.discovered},
                    {"identity", s.identity},
                    {"profile", s.profile},
                    {"identification", s.identification},
                    {"paused", s.pause.has_value() || !s.pause_error.empty()},
                    {"pause", pause_value(s)},
                    {"pause_error", s.pause_error},
                    {"last_reconcile", s.last_reconcile_unix},
                    {"items", std::move(items)}};
  return json::serialize(root);
}

std::string plan_json(const std::vector<PlannedChange>& plan) {
  json::array changes;
  for (const auto& c : plan)
    changes.push_back(json::object{{"setting", to_string(c.id)},
                                   {"mode", to_string(c.mode)},
                                   {"current", c.current},
                                   {"desired", c.desired},
                                   {"transport", c.transport},
                                   {"blocked_by", c.blocked_by}});
  return json::serialize(json::object{{"changes", std::move(changes)}});
}

}  // namespace bmcquiet::policy
