/// OpenStack's tag filters on lists (Keystone projects, Nova servers):
/// `tags` (all of), `tags-any`, `not-tags` (not all of), `not-tags-any`
/// (none of), each comma-separated.
public struct TagFilter: Sendable {
    public var all: [String]?
    public var any: [String]?
    public var notAll: [String]?
    public var notAny: [String]?

    public init() {}

    /// Whether no tag filter was asked for.
    public var isEmpty: Bool { all == nil && any == nil && notAll == nil && notAny == nil }

    public init(_ query: [String: String]) {
        func list(_ key: String) -> [String]? { query[key].map { $0.split(separator: ",").map(String.init) } }
        all = list("tags")
        any = list("tags-any")
        notAll = list("not-tags")
        notAny = list("not-tags-any")
    }

    public func matches(_ tags: [String]) -> Bool {
        let held = Set(tags)
        if let all, !held.isSuperset(of: all) { return false }
        if let any, held.isDisjoint(with: any) { return false }
        if let notAll, held.isSuperset(of: notAll) { return false }
        if let notAny, !held.isDisjoint(with: notAny) { return false }
        return true
    }
}
