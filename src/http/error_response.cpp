#include "http/error_response.hpp"

#include <boost/json/serialize.hpp>

#include "http/validation_error.hpp"

namespace ecf::http {

namespace beast_http = boost::beast::http;

beast_http::status status_of(ErrorKind kind) noexcept {
    switch (kind) {
        case ErrorKind::MissingToken:
            return beast_http::status::bad_request;
        case ErrorKind::BadRequest:
            return beast_http::status::bad_request;
        case ErrorKind::Unauthorized:
            return beast_http::status::unauthorized;
        case ErrorKind::Forbidden:
            return beast_http::status::forbidden;
        case ErrorKind::NotFound:
            return beast_http::status::not_found;
        case ErrorKind::MethodNotAllowed:
            return beast_http::status::method_not_allowed;
        case ErrorKind::PayloadTooLarge:
            return beast_http::status::payload_too_large;
        case ErrorKind::HeaderTooLarge:
            return beast_http::status::request_header_fields_too_large;
        case ErrorKind::Unprocessable:
            return beast_http::status::unprocessable_entity;
        case ErrorKind::TooManyRequests:
            return beast_http::status::too_many_requests;
        case ErrorKind::Internal:
            return beast_http::status::internal_server_error;
        case ErrorKind::NotImplemented:
            return beast_http::status::not_implemented;
        case ErrorKind::BadGateway:
            return beast_http::status::bad_gateway;
        case ErrorKind::Unavailable:
            return beast_http::status::service_unavailable;
        case ErrorKind::NoRuntime:
            return beast_http::status::service_unavailable;
        case ErrorKind::Timeout:
            return beast_http::status::gateway_timeout;
    }
    return beast_http::status::internal_server_error;
}

Response json_response(beast_http::status status, const boost::json::value& body,
                       const Request& request) {
    Response response{status, request.version()};
    response.set(beast_http::field::content_type, "application/json");
    response.keep_alive(request.keep_alive());
    response.body() = boost::json::serialize(body);
    response.prepare_payload();
    return response;
}

Response error_response(const Error& error, const Request& request) {
    boost::json::value detail;
    if (auto* validation = dynamic_cast<const ValidationError*>(&error)) {
        detail = validation->problems();
    } else {
        detail = error.what();
    }
    Response response =
        json_response(status_of(error.kind()), boost::json::object{{"detail", detail}}, request);
    if (const auto retry_after = error.retry_after()) {
        response.set(beast_http::field::retry_after, std::to_string(retry_after->count()));
    }
    return response;
}

Response error_response(const std::exception_ptr& failure, const Request& request) {
    try {
        std::rethrow_exception(failure);
    } catch (const Error& error) {
        return error_response(error, request);
    } catch (...) {
        // Whatever an unexpected exception says may hold internals: the client gets none of it.
        return error_response(Error(ErrorKind::Internal, "Internal Server Error"), request);
    }
}

}  // namespace ecf::http
