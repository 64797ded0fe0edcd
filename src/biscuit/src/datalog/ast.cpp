#include <algorithm>
#include <biscuit/datalog/ast.hpp>

namespace biscuit::datalog {
namespace {

int compare_sequence(const std::vector<Term>& a, const std::vector<Term>& b) {
    const std::size_t n = std::min(a.size(), b.size());
    for (std::size_t i = 0; i < n; ++i) {
        if (int c = compare(a[i], b[i]); c != 0) return c;
    }
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

template <typename T>
int three_way(const T& a, const T& b) {
    return a < b ? -1 : (b < a ? 1 : 0);
}

int compare_keys(const MapKey& a, const MapKey& b) {
    if (a.index() != b.index()) return a.index() < b.index() ? -1 : 1;
    if (const auto* i = std::get_if<std::int64_t>(&a))
        return three_way(*i, std::get<std::int64_t>(b));
    return three_way(std::get<std::string>(a), std::get<std::string>(b));
}

}  // namespace

int compare(const Term& a, const Term& b) {
    if (a.value.index() != b.value.index()) return a.value.index() < b.value.index() ? -1 : 1;
    return std::visit(
        [&](const auto& x) -> int {
            using T = std::decay_t<decltype(x)>;
            const T& y = std::get<T>(b.value);
            if constexpr (std::is_same_v<T, Variable>) {
                return three_way(x.name, y.name);
            } else if constexpr (std::is_same_v<T, Date>) {
                return three_way(x.seconds, y.seconds);
            } else if constexpr (std::is_same_v<T, Null>) {
                return 0;
            } else if constexpr (std::is_same_v<T, Set> || std::is_same_v<T, Array>) {
                return compare_sequence(x.items, y.items);
            } else if constexpr (std::is_same_v<T, Map>) {
                const std::size_t n = std::min(x.entries.size(), y.entries.size());
                for (std::size_t i = 0; i < n; ++i) {
                    if (int c = compare_keys(x.entries[i].first, y.entries[i].first); c != 0)
                        return c;
                    if (int c = compare(x.entries[i].second, y.entries[i].second); c != 0) return c;
                }
                return three_way(x.entries.size(), y.entries.size());
            } else {
                return three_way(x, y);
            }
        },
        a.value);
}

Term Term::set(std::vector<Term> items) {
    std::sort(items.begin(), items.end());
    items.erase(std::unique(items.begin(), items.end()), items.end());
    return Term(Value(Set{std::move(items)}));
}

Term Term::map(std::vector<std::pair<MapKey, Term>> entries) {
    std::stable_sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
        return compare_keys(a.first, b.first) < 0;
    });
    std::vector<std::pair<MapKey, Term>> unique;
    for (auto& e : entries) {
        if (!unique.empty() && compare_keys(unique.back().first, e.first) == 0) {
            unique.back() = std::move(e);
        } else {
            unique.push_back(std::move(e));
        }
    }
    return Term(Value(Map{std::move(unique)}));
}

bool operator==(const Predicate& a, const Predicate& b) {
    return a.name == b.name && compare_sequence(a.terms, b.terms) == 0;
}

}  // namespace biscuit::datalog
