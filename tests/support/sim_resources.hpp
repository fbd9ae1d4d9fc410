// Reading and replacing one bmcsim resource as JSON (bmcsim's POST
// /resource), for tests that reshape a fixture the way a real BMC differs.
#pragma once

#include <boost/json.hpp>
#include <functional>
#include <string>

#include "support/bmcsim.hpp"

namespace bmcquiet::test {

inline boost::json::object resource(const BmcSim& sim, const std::string& path) {
  return boost::json::parse(sim.resource(path)).as_object();
}
inline void put(const BmcSim& sim, const std::string& path, const boost::json::value& body) {
  sim.control("POST", "/resource?path=" + path, boost::json::serialize(body));
}
inline void edit(const BmcSim& sim, const std::string& path,
                 const std::function<void(boost::json::object&)>& change) {
  auto body = resource(sim, path);
  change(body);
  put(sim, path, body);
}

}  // namespace bmcquiet::test
