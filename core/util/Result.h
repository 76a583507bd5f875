#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace paydesk {

/// Why something was refused. `code` is stable and machine readable (used by --json and
/// tests); `message` is translated and tells a person what went wrong and what to do.
struct Error
{
    enum class Kind {
        Invalid,     ///< bad input: a rule was broken, nothing changed
        NotFound,    ///< the object does not exist
        Forbidden,   ///< the user's role or identity does not allow it
        Conflict,    ///< the state changed under us (lost a compare-and-set) or was wrong
        Storage,     ///< the database failed
        Channel,     ///< a payment channel failed
        Internal,
    };
    Kind kind = Kind::Internal;
    QString code;
    QString message;

    static Error invalid(QString code, QString message) { return {Kind::Invalid, std::move(code), std::move(message)}; }
    static Error notFound(QString code, QString message) { return {Kind::NotFound, std::move(code), std::move(message)}; }
    static Error forbidden(QString code, QString message) { return {Kind::Forbidden, std::move(code), std::move(message)}; }
    static Error conflict(QString code, QString message) { return {Kind::Conflict, std::move(code), std::move(message)}; }
    static Error storage(QString message) { return {Kind::Storage, QStringLiteral("storage"), std::move(message)}; }
};

/// A value or an Error. Minimal stand-in for C++23 std::expected.
template <typename T>
class [[nodiscard]] Result
{
public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}       // NOLINT(google-explicit-constructor)
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}   // NOLINT(google-explicit-constructor)

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    const T &value() const & { return std::get<0>(m_v); }
    T &value() & { return std::get<0>(m_v); }
    /// By value from a temporary, so `for (const auto &x : repo.list().value())` holds the list
    /// for the loop (a `T &&` would dangle once the Result is gone).
    T value() && { return std::get<0>(std::move(m_v)); }
    const T &operator*() const & { return value(); }
    const T *operator->() const { return &value(); }
    const Error &error() const { return std::get<1>(m_v); }

private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)) {}   // NOLINT(google-explicit-constructor)
    bool ok() const { return !m_error.has_value(); }
    explicit operator bool() const { return ok(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace paydesk
