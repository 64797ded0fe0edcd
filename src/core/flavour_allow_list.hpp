#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <vector>

namespace ecf {

// The flavours this cluster serves (configuration key `flavours`); an empty list allows any.
// Every FLAVOUR leaves a queue in RabbitMQ, so an operator may want to bound which ones exist.
// Checked by executions in both modes, and by standalone mode's document routes.
class FlavourAllowList {
  public:
    FlavourAllowList() = default;
    explicit FlavourAllowList(std::vector<std::string> flavours) : flavours_(std::move(flavours)) {}

    bool allows(std::string_view flavour) const {
        return flavours_.empty() ||
               std::find(flavours_.begin(), flavours_.end(), flavour) != flavours_.end();
    }

  private:
    std::vector<std::string> flavours_;
};

// The `detail` of the 403 that refuses a requirement naming a flavour not in the list.
inline constexpr std::string_view kFlavourNotServed =
    "the requirement's FLAVOUR is not one this cluster serves (configuration key flavours)";

}  // namespace ecf
