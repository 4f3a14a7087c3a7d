import Hummingbird

/// Query strings as OpenStack clients send them.
enum QueryParameters {
    /// The query's parameters decoded once, as HTML forms encode them: '+' is a
    /// space. python-glanceclient and openstacksdk build queries with Python's
    /// `urlencode`, so `--name "Fedora 40"` arrives as `name=Fedora+40`.
    /// (Hummingbird's `queryParameters` keeps '+', and decoding its already
    /// decoded values again would turn a literal "%41" into "A".)
    static func decode(_ query: String?) -> [(key: String, value: String)] {
        func decode(_ text: Substring) -> String {
            let spaced = text.replacingOccurrences(of: "+", with: " ")
            return spaced.removingPercentEncoding ?? spaced
        }
        return (query ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    /// The first value of each parameter.
    static func first(_ request: Request) -> [String: String] {
        Dictionary(decode(request.uri.query), uniquingKeysWith: { first, _ in first })
    }
}
