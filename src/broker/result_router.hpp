#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ecf::broker {

// The executions whose requests the broker has published and that wait for a result, by request
// id, each to be answered once (a result, a refusal, a failure) or forgotten (its deadline
// passed: the waiter has answered itself). It also numbers publications for publisher confirms
// and keeps the queue-allowance checks. No I/O: the caller does the AMQP side (unbinding an
// entry that is `bound`) and hands each taken entry's waiter its answer. One thread.
template <typename Waiter>
class ResultRouter {
  public:
    using Clock = std::chrono::steady_clock;

    struct Entry {
        std::string request_id;
        Waiter waiter;
        std::string flavour;
        bool bound = false;  // a per-request binding was made for it: unbind it when taken
    };

    bool contains(const std::string& request_id) const { return items_.contains(request_id); }
    std::size_t size() const { return items_.size(); }

    // Registers an execution whose request is published next on the confirm-mode channel.
    // allowance_check: when to ask whether its flavour has a consumer (see take_unconsumed).
    // Returns false (and registers nothing) for a request id already waiting.
    bool add(Entry entry, Clock::time_point deadline,
             std::optional<Clock::time_point> allowance_check = std::nullopt) {
        const std::string id = entry.request_id;
        auto [it, inserted] = items_.try_emplace(id);
        if (!inserted) return false;
        it->second.entry = std::move(entry);
        it->second.by_deadline = by_deadline_.emplace(deadline, id);
        it->second.tag = next_tag_;
        unconfirmed_.emplace(next_tag_++, id);
        if (allowance_check) allowance_checks_.emplace(*allowance_check, id);
        return true;
    }

    // The entry of this request id, left in place; null when none waits.
    Entry* find(const std::string& request_id) {
        auto it = items_.find(request_id);
        return it == items_.end() ? nullptr : &it->second.entry;
    }

    // A result (or a return) for this request id: the entry, if it still waits.
    std::optional<Entry> take(const std::string& request_id) {
        auto it = items_.find(request_id);
        if (it == items_.end()) return std::nullopt;
        return remove(it);
    }

    // A publisher confirm (basic.ack / basic.nack) for `tag`, or every tag up to it with
    // `multiple`. Returns the entries whose publication was refused (nack), taken; each acked
    // entry still waiting is shown to `on_ack` (an asynchronous execution answers then).
    std::vector<Entry> confirm(std::uint64_t tag, bool multiple, bool ack) {
        return confirm(tag, multiple, ack, [](Entry&) {});
    }
    template <typename OnAck>
    std::vector<Entry> confirm(std::uint64_t tag, bool multiple, bool ack, OnAck on_ack) {
        auto begin = multiple ? unconfirmed_.begin() : unconfirmed_.find(tag);
        auto end = multiple ? unconfirmed_.upper_bound(tag) : begin;
        if (!multiple && begin != unconfirmed_.end()) ++end;
        std::vector<std::string> refused;
        for (auto it = begin; it != end; ++it) {
            if (!ack) refused.push_back(it->second);
            auto item = items_.find(it->second);
            if (item != items_.end()) {
                item->second.tag.reset();
                if (ack) on_ack(item->second.entry);
            }
        }
        unconfirmed_.erase(begin, end);
        return take_ids(refused);
    }

    // Publications not confirmed yet.
    std::size_t unconfirmed_count() const { return unconfirmed_.size(); }

    // Every entry whose publication is not confirmed yet (it may or may not have reached its
    // queue), taken; the next publication is numbered 1 again, as on a fresh confirm-mode
    // channel.
    std::vector<Entry> take_unconfirmed() {
        std::vector<std::string> ids;
        for (auto& [tag, id] : unconfirmed_) ids.push_back(id);
        unconfirmed_.clear();
        next_tag_ = 1;
        return take_ids(ids);
    }

    // Entries whose deadline has passed, taken.
    std::vector<Entry> take_past_deadline(Clock::time_point now) {
        std::vector<std::string> ids;
        for (auto it = by_deadline_.begin(); it != by_deadline_.end() && it->first <= now; ++it) {
            ids.push_back(it->second);
        }
        return take_ids(ids);
    }

    // Entries whose allowance check is due and whose flavour `unconsumed(flavour)` says nobody
    // consumes, taken; the others due keep waiting (for their deadline).
    template <typename Predicate>
    std::vector<Entry> take_unconsumed(Clock::time_point now, Predicate unconsumed) {
        std::vector<std::string> ids;
        while (!allowance_checks_.empty() && allowance_checks_.begin()->first <= now) {
            auto item = items_.find(allowance_checks_.begin()->second);
            allowance_checks_.erase(allowance_checks_.begin());
            if (item != items_.end() && unconsumed(item->second.entry.flavour)) {
                ids.push_back(item->first);
            }
        }
        return take_ids(ids);
    }

    // Every entry, taken; numbering starts again at 1.
    std::vector<Entry> take_all() {
        std::vector<Entry> all;
        all.reserve(items_.size());
        for (auto& [id, item] : items_) all.push_back(std::move(item.entry));
        items_.clear();
        by_deadline_.clear();
        allowance_checks_.clear();
        unconfirmed_.clear();
        next_tag_ = 1;
        return all;
    }

    // The earliest deadline or allowance check, to wake up for it.
    std::optional<Clock::time_point> next_due() const {
        std::optional<Clock::time_point> due;
        if (!by_deadline_.empty()) due = by_deadline_.begin()->first;
        if (!allowance_checks_.empty() && (!due || allowance_checks_.begin()->first < *due)) {
            due = allowance_checks_.begin()->first;
        }
        return due;
    }

  private:
    using ByTime = std::multimap<Clock::time_point, std::string>;
    struct Item {
        Entry entry;
        typename ByTime::iterator by_deadline;
        std::optional<std::uint64_t> tag;  // while unconfirmed
    };
    using Items = std::unordered_map<std::string, Item>;

    Entry remove(typename Items::iterator it) {
        Entry entry = std::move(it->second.entry);
        by_deadline_.erase(it->second.by_deadline);
        if (it->second.tag) unconfirmed_.erase(*it->second.tag);
        // Its allowance check, if any, finds no entry and is dropped when due.
        items_.erase(it);
        return entry;
    }

    std::vector<Entry> take_ids(const std::vector<std::string>& ids) {
        std::vector<Entry> taken;
        for (const auto& id : ids) {
            auto it = items_.find(id);
            if (it != items_.end()) taken.push_back(remove(it));
        }
        return taken;
    }

    Items items_;
    ByTime by_deadline_;
    ByTime allowance_checks_;                           // time -> request id
    std::map<std::uint64_t, std::string> unconfirmed_;  // publish delivery tag -> request id
    std::uint64_t next_tag_ = 1;
};

}  // namespace ecf::broker
