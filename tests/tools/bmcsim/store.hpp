// The simulated BMC's resource tree: a DMTF mockup folder loaded into memory,
// with the state changes a real BMC makes on PATCH and on advertised actions.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>

namespace bmcsim {

struct Reply {
  unsigned status = 200;
  std::string body;  // JSON text, empty for 204
  std::string etag;
  std::vector<std::pair<std::string, std::string>> headers;
};

// One write the simulator accepted or refused, for tests to assert on.
struct WriteRecord {
  std::string method;
  std::string path;
  std::string body;
  unsigned status = 0;
  std::string if_match;  // the If-Match header as sent ("" when none)
};

class Store {
 public:
  // Loads every <dir>/redfish/v1/**/index.json; error names the bad file.
  bool load(const std::string& dir, std::string* error);

  // GET with the query string ($expand, $top, $skip understood when advertised).
  Reply get(std::string_view path, std::string_view query) const;
  Reply patch(std::string_view path, std::string_view body, std::string_view if_match);
  Reply post_action(std::string_view path, std::string_view body);

  std::string sessions_path() const;  // from the service root's Links.Sessions
  const boost::json::value* find(std::string_view path) const;
  boost::json::value* find(std::string_view path);
  void put(const std::string& path, boost::json::value v) { resources_[path] = std::move(v); }
  void erase(const std::string& path) { resources_.erase(path); }
  static std::string normalize(std::string_view path);
  static std::string etag_of(const boost::json::value& v);
  // Server-driven paging like bmcweb's: a collection with more members is
  // served this many at a time, each page naming the next in
  // Members@odata.nextLink as "<path>?$skip=N". 0: whole collections.
  std::size_t page_size = 0;
  bool page_links = true;  // false: pages truncate silently (the client must $skip)

 private:
  bool expand_supported() const;
  bool top_skip_supported() const;
  boost::json::value expanded(const boost::json::object& collection) const;
  void page(boost::json::object& collection, std::string_view path, std::string_view query) const;
  std::optional<std::string> action_name(const std::string& target) const;
  Reply apply_action(const std::string& owner, const std::string& action,
                     const boost::json::object& args);

  std::map<std::string, boost::json::value> resources_;
};

Reply error_reply(unsigned status, std::string_view message);

}  // namespace bmcsim
