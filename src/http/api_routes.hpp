#pragma once

#include <atomic>
#include <chrono>
#include <memory>

#include "async_execution/async_result_store.hpp"
#include "async_execution/result_peers.hpp"
#include "auth/token_authorizer.hpp"
#include "execution/execution_service.hpp"
#include "http/router.hpp"

namespace ecf::http {

// How the API offers asynchronous executions (README "Asynchronous executions"). Read by every
// request, changed by a configuration reload.
struct AsyncApiSettings {
    // async_mode: accepted — mode=async is answered 202 as if `Prefer: respond-async` were sent.
    // False (async_mode: sync, the default): mode=async is answered as sync (contract §1).
    std::atomic<bool> mode_async_accepted{false};
    // The longest long poll (GET ?wait=, `Prefer: wait=`): async_max_wait.
    std::atomic<std::chrono::milliseconds> max_wait{std::chrono::milliseconds(30'000)};
};

// The device-facing routes of contract §1: POST /v1/functions/{id}/execute and
// POST /v1/device_metrics; and GET /v1/executions/{id}, an asynchronous execution's result
// (`store` null: asynchronous executions answer 503; `peers`: the other instances, asked for the
// executions they accepted). The references must outlive the router.
void add_api_routes(Router& router, execution::ExecutionService& executions,
                    auth::TokenAuthorizer& authorizer,
                    std::shared_ptr<async_execution::AsyncResultStore> store = nullptr,
                    std::shared_ptr<const AsyncApiSettings> async_settings = nullptr,
                    std::shared_ptr<async_execution::ResultPeers> peers = nullptr);

}  // namespace ecf::http
