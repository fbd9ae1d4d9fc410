// A read-only view of a parsed JSON document, so code outside lib/redfish (the
// policy engine, tests) can read Redfish bodies without including Boost.JSON.
// Copies are cheap: every view shares the parsed document.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bmcquiet::redfish {

class Json {
 public:
  Json() = default;  // null
  // nullopt (and *error set, naming the offset) when text is not JSON.
  static std::optional<Json> parse(std::string_view text, std::string* error = nullptr);
  // A JSON string literal, quoted and escaped, for building request bodies.
  static std::string quote(std::string_view text);

  bool is_null() const;
  bool is_object() const;
  bool is_array() const;
  bool is_string() const;
  bool is_number() const;
  bool is_bool() const;

  // Member or element; a null view when absent or of another kind.
  Json operator[](std::string_view key) const;
  Json operator[](std::size_t index) const;
  bool contains(std::string_view key) const;
  std::size_t size() const;  // elements of an array, members of an object
  std::vector<std::string> keys() const;

  std::optional<std::string> string() const;
  std::optional<double> number() const;
  std::optional<bool> boolean() const;
  // The "@odata.id" member, or "" when absent.
  std::string link() const;
  std::string dump() const;  // compact serialization

 private:
  Json(std::shared_ptr<const void> doc, const void* node) : doc_(std::move(doc)), node_(node) {}
  std::shared_ptr<const void> doc_;
  const void* node_ = nullptr;  // a boost::json::value inside doc_
};

}  // namespace bmcquiet::redfish
