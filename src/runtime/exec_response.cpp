#include "runtime/exec_response.hpp"

namespace ecf::runtime {

boost::json::object failed_exec_response(std::string_view reason) {
    return {{"ret_code", -1}, {"res", kPickledNone}, {"err", reason}};
}

std::optional<boost::json::object> as_exec_response(const boost::json::value& value) {
    const auto* object = value.if_object();
    if (object == nullptr) return std::nullopt;
    const auto* ret_code = object->if_contains("ret_code");
    if (ret_code == nullptr || !ret_code->is_int64()) return std::nullopt;
    const auto string_or_null = [](const boost::json::value* field) {
        return field == nullptr || field->is_string() || field->is_null();
    };
    const auto* res = object->if_contains("res");
    const auto* err = object->if_contains("err");
    if (!string_or_null(res) || !string_or_null(err)) return std::nullopt;
    return boost::json::object{{"ret_code", ret_code->as_int64()},
                               {"res", res != nullptr ? *res : nullptr},
                               {"err", err != nullptr ? *err : nullptr}};
}

}  // namespace ecf::runtime
