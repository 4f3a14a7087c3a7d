import GRDB
import Synchronization

/// A conjunction of SQL conditions with their arguments, in order: how the
/// list queries are put together. Column names come from the caller's own
/// allow-lists, never from a request; values are always arguments.
struct SQLBuilder {
    private(set) var conditions: [String] = []
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    var sql: String { conditions.isEmpty ? "1" : conditions.joined(separator: " AND ") }

    mutating func add(_ condition: String, _ values: [(any DatabaseValueConvertible)?] = []) {
        conditions.append(condition)
        arguments.append(contentsOf: values)
    }

    mutating func add(contentsOf other: SQLBuilder) {
        conditions += other.conditions
        arguments += other.arguments
    }

    /// `expression IN (values)`, the values as one JSON array argument: the
    /// SQL text is the same however many values a request sends.
    mutating func add(_ expression: String, in values: [String]) throws {
        add("\(expression) IN (SELECT value FROM json_each(?))", [try JSONColumn.encode(values)])
    }

    /// The SQL texts list queries have prepared and kept: the first 64. A
    /// list's text depends on which filters a request names, and GRDB keeps
    /// every cached statement for good, so requests must not be able to
    /// make it keep one per variation.
    private static let kept = Mutex<Set<String>>([])

    /// A prepared statement for a list query's text: cached while fewer than
    /// 64 texts are, made afresh otherwise.
    static func statement(_ db: Database, _ sql: String) throws -> Statement {
        let keep = kept.withLock { texts in
            if texts.contains(sql) { return true }
            guard texts.count < 64 else { return false }
            texts.insert(sql)
            return true
        }
        return keep ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
    }

    /// Keyset paging: the rows of `table` that sort after `marker` in
    /// `order`, NULLs first when ascending and last when descending, as
    /// SQLite sorts them. The order must end in a unique column (the id).
    static func after(_ marker: Row, in order: [(column: String, ascending: Bool)], table: String) -> SQLBuilder {
        var alternatives: [String] = []
        var arguments: [(any DatabaseValueConvertible)?] = []
        for (index, key) in order.enumerated() {
            var terms: [String] = []
            for earlier in order[..<index] {
                terms.append("\(table).\(earlier.column) IS ?")
                arguments.append(marker[earlier.column] as DatabaseValue)
            }
            let value: DatabaseValue = marker[key.column]
            let column = "\(table).\(key.column)"
            switch (key.ascending, value.isNull) {
            case (true, true): terms.append("\(column) IS NOT NULL")
            case (true, false): terms.append("\(column) > ?"); arguments.append(value)
            case (false, true): terms.append("0")
            case (false, false): terms.append("(\(column) < ? OR \(column) IS NULL)"); arguments.append(value)
            }
            alternatives.append("(" + terms.joined(separator: " AND ") + ")")
        }
        var sql = SQLBuilder()
        sql.add("(" + alternatives.joined(separator: " OR ") + ")", arguments)
        return sql
    }
}
